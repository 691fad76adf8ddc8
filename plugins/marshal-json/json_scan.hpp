// Validating JSON without building a document: a SAX pass over the bytes that
// checks syntax, UTF-8 and nesting depth, and picks out the top-level "type"
// and "folder".
//
// Sans-I/O and allocation-free on valid input without a "type" or "folder"
// field, so it is cheap enough to run on every message at ingress and egress.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace araldo::plugins::marshal_json {

// What the last top-level "folder" field held. Unlike "type", a "folder" is
// an address: one that is not a string (nor null) is not silently ignored.
enum class folder_field { absent, string, null, not_string };

struct scan_result {
    bool ok = true;
    std::size_t offset = 0;           // where the parser stopped, when !ok
    std::string error;                // the parser's reason, when !ok
    std::optional<std::string> type;  // the top-level object's string "type" (the last one)
    folder_field folder_kind = folder_field::absent;
    std::optional<std::string> folder;  // the last top-level "folder", when it is a string
};

// Checks that `bytes` hold exactly one JSON value (RFC 8259: no comments, no
// trailing commas, valid UTF-8) with arrays and objects nested at most
// `max_depth` deep. With `want_fields`, also reports the top-level "type" and
// "folder".
scan_result scan_json(std::string_view bytes, std::size_t max_depth, bool want_fields);

}  // namespace araldo::plugins::marshal_json
