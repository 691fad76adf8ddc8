#include <araldo/error.hpp>

namespace araldo {

std::string source_mark::str() const {
    if (line <= 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

namespace {
std::string compose(const source_mark& mark, const std::string& what, const std::string& hint) {
    std::string text = mark.file.empty() ? what : mark.str() + ": " + what;
    if (!hint.empty()) text += "\n  hint: " + hint;
    return text;
}
}  // namespace

config_error::config_error(source_mark mark, std::string what, std::string hint)
    : std::runtime_error(compose(mark, what, hint)),
      mark_(std::move(mark)),
      reason_(std::move(what)),
      hint_(std::move(hint)) {}

}  // namespace araldo
