// Validating JSON without building a document: a SAX pass over the bytes that
// checks syntax, UTF-8 and nesting depth, and picks out the top-level "type".
//
// Sans-I/O and allocation-free on valid input without a "type" field, so it is
// cheap enough to run on every message at ingress and egress.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace araldo::plugins::marshal_json {

struct scan_result {
    bool ok = true;
    std::size_t offset = 0;           // where the parser stopped, when !ok
    std::string error;                // the parser's reason, when !ok
    std::optional<std::string> type;  // the top-level object's string "type" (the last one)
};

// Checks that `bytes` hold exactly one JSON value (RFC 8259: no comments, no
// trailing commas, valid UTF-8) with arrays and objects nested at most
// `max_depth` deep. With `want_type`, also reports the top-level "type".
scan_result scan_json(std::string_view bytes, std::size_t max_depth, bool want_type);

}  // namespace araldo::plugins::marshal_json
