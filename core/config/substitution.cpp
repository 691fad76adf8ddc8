#include "config/substitution.hpp"

#include <cstdlib>

namespace araldo::detail {

env_lookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        if (const char* v = std::getenv(name.c_str())) return std::string(v);
        return std::nullopt;
    };
}

namespace {

bool valid_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return !(name[0] >= '0' && name[0] <= '9');
}

}  // namespace

std::string substitute(std::string_view text, const source_mark& where, const env_lookup& env) {
    if (text.find('$') == std::string_view::npos) return std::string(text);
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '$' || i + 1 == text.size()) {
            out += text[i];
            continue;
        }
        if (text[i + 1] == '$') {
            out += '$';
            ++i;
            continue;
        }
        if (text[i + 1] != '{') {
            out += '$';
            continue;
        }
        auto close = text.find('}', i + 2);
        if (close == std::string_view::npos) {
            throw config_error(where, "unterminated ${ in \"" + std::string(text) + "\"",
                               "write ${NAME} or ${NAME:-default}; $$ is a literal $");
        }
        std::string_view inner = text.substr(i + 2, close - i - 2);
        std::optional<std::string_view> fallback;
        if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
            fallback = inner.substr(sep + 2);
            inner = inner.substr(0, sep);
        }
        if (!valid_name(inner)) {
            throw config_error(where, "invalid variable name '" + std::string(inner) + "'",
                               "names are letters, digits and _, not starting with a digit");
        }
        // As in the shell, ":-" also covers a variable that is set but empty.
        if (auto value = env(std::string(inner)); value && (!value->empty() || !fallback)) {
            out += *value;
        } else if (fallback) {
            out += *fallback;
        } else {
            throw config_error(where, "environment variable " + std::string(inner) + " is not set",
                               "set it, or give a default: ${" + std::string(inner) + ":-value}");
        }
        i = close;
    }
    return out;
}

}  // namespace araldo::detail
