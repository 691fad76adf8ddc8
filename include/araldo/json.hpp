// Writing a JSON string, one rule for the whole tree: error bodies, error
// frames, and payloads that must leave through a JSON marshaller all escape
// the same way. Pure functions, no I/O.
#pragma once

#include <araldo/export.hpp>

#include <string>
#include <string_view>

namespace araldo {

// Appends `s` to `out` as one quoted JSON string (RFC 8259). Quotes,
// backslashes and control characters (below U+0020) are escaped (\n, \t...
// and \u00XX for the others); valid UTF-8 is kept as it is, U+2028 and
// U+2029 included (JSON allows them). Each byte that does not start a valid
// UTF-8 sequence (araldo::valid_utf8's rule) becomes \ufffd, as a browser's
// TextDecoder reads it, because a JSON text must be UTF-8. The output is
// therefore always valid JSON, whatever the bytes. Copies unescaped runs
// whole: no allocation per character, at most one growth of `out`.
ARALDO_EXPORT void append_json_string(std::string& out, std::string_view s);

// The same as a new string: json_quote("a\"b") == R"("a\"b")".
ARALDO_EXPORT std::string json_quote(std::string_view s);

}  // namespace araldo
