#include "support/temp_dir.hpp"

#include "support/process.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace araldo::test {

temp_dir::temp_dir() {
    std::string pattern = "/tmp/araldo-test-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string temp_dir::write(const std::string& name, const std::string& text) const {
    std::string p = *this / name;
    write_file(p, text);
    return p;
}

}  // namespace araldo::test
