// The Standard Webhooks signature (https://www.standardwebhooks.com/):
// v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not padded standard base64.
std::optional<std::string> base64_decode(std::string_view text);

// The key bytes of "whsec_<base64>"; nullopt when malformed or empty.
std::optional<std::string> decode_secret(std::string_view secret);

// The webhook-signature header value: one "v1,<sig>" per key, space-separated.
std::string sign(const std::vector<std::string>& keys, std::string_view id, std::int64_t timestamp,
                 std::string_view body);

}  // namespace araldo::plugins::endpoint_webhook
