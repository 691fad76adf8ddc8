// Encoding arbitrary bytes as one JSON string, for payloads that are not JSON
// but must leave through a JSON marshaller.
#pragma once

#include <string>
#include <string_view>

namespace araldo::plugins::marshal_json {

// `bytes` as a quoted JSON string. Valid UTF-8 is kept as is (only quotes,
// backslashes and control characters are escaped); each byte that is not part
// of a valid UTF-8 sequence becomes U+FFFD, as a browser's TextDecoder does,
// because a JSON text must be valid UTF-8.
std::string json_quote(std::string_view bytes);

}  // namespace araldo::plugins::marshal_json
