// Errors that carry a place in a config file.
//
// Every start-up failure (YAML, options, plugin load, routes) is a config_error:
// main prints what() and exits 2. Plugins throw it from their factories through
// options::fail() so the message points at the offending option.
#pragma once

#include <araldo/export.hpp>

#include <stdexcept>
#include <string>

namespace araldo {

// A position in a source file; line and column are 1-based, 0 when unknown.
struct ARALDO_EXPORT source_mark {
    std::string file;
    int line = 0;
    int column = 0;

    // "file:line:col", or just "file" when the position is unknown.
    std::string str() const;
};

class ARALDO_EXPORT config_error : public std::runtime_error {
public:
    config_error(source_mark mark, std::string what, std::string hint = {});

    const source_mark& mark() const noexcept { return mark_; }
    const std::string& reason() const noexcept { return reason_; }
    const std::string& hint() const noexcept { return hint_; }

private:
    source_mark mark_;
    std::string reason_;
    std::string hint_;
};

}  // namespace araldo
