// Standard Webhooks (standardwebhooks.com) signature verification, sans-I/O.
//
// The sender signs "<webhook-id>.<webhook-timestamp>.<body>" with
// HMAC-SHA256 under each of its secrets and sends
// `webhook-signature: v1,<base64> [v1,<base64> ...]`; one match with one of
// our secrets is enough, so secrets can be rotated on either side.
#pragma once

#include <araldo/units.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_http {

struct webhook_headers {
    std::optional<std::string_view> id;
    std::optional<std::string_view> timestamp;
    std::optional<std::string_view> signature;
};

class webhook_verifier {
public:
    // `keys` are the decoded secrets (the bytes after whsec_, base64-decoded).
    webhook_verifier(std::vector<std::string> keys, araldo::duration tolerance);

    bool enabled() const noexcept { return !keys_.empty(); }
    // Empty when the request is authentic; otherwise the reason for the 401.
    std::string verify(const webhook_headers& h, std::string_view body,
                       std::chrono::system_clock::time_point now) const;

    // "v1,<base64>" for `key` (decoded) over id.timestamp.body.
    static std::string sign(std::string_view key, std::string_view id, std::string_view timestamp,
                            std::string_view body);

private:
    std::vector<std::string> keys_;
    araldo::duration tolerance_;
};

}  // namespace araldo::plugins::endpoint_http
