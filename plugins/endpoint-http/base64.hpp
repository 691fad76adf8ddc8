// Standard base64 (RFC 4648 section 4, with padding), as HTTP Basic and
// Standard Webhooks use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace araldo::plugins::endpoint_http {

std::string base64_encode(std::string_view bytes);
// Strict: nullopt on a character outside the alphabet, bad padding or a
// length that is not a multiple of four.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace araldo::plugins::endpoint_http
