// Message authentication a plugin needs at its edges: HMAC-SHA256 and the
// Standard Webhooks signature (https://www.standardwebhooks.com/), for both
// the sending and the receiving side. Pure functions, no I/O; results are new
// strings owned by the caller, arguments are only read during the call.
//
// Standard Webhooks: the sender signs "<webhook-id>.<webhook-timestamp>.<body>"
// with HMAC-SHA256 under each of its secrets and sends
// `webhook-signature: v1,<base64> [v1,<base64> ...]`; a receiver accepts the
// request when one of those matches one of its own secrets, so secrets can be
// rotated on either side. Secrets are written "whsec_<base64 of the key>".
#pragma once

#include <araldo/export.hpp>
#include <araldo/units.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo {

// The raw 32-byte HMAC-SHA256 of `data` under `key` (any length, empty too).
ARALDO_EXPORT std::string hmac_sha256(std::string_view key, std::string_view data);

// The key bytes of a "whsec_<base64>" secret; nullopt when the prefix is
// missing, the rest is not strict padded base64 (see base64_decode) or the key
// would be empty.
ARALDO_EXPORT std::optional<std::string> parse_webhook_secret(std::string_view secret);

// "v1,<base64>" for `key` (the decoded bytes, not the whsec_ text) over
// "<id>.<timestamp>.<body>"; `timestamp` is the webhook-timestamp header's
// text (seconds since the epoch), signed exactly as given.
ARALDO_EXPORT std::string standard_webhook_signature(std::string_view key, std::string_view id,
                                                     std::string_view timestamp, std::string_view body);
// The webhook-signature header value: one "v1,<base64>" per key, separated by
// spaces, in the order of `keys`; "" when there is no key.
ARALDO_EXPORT std::string standard_webhook_header(const std::vector<std::string>& keys, std::string_view id,
                                                  std::string_view timestamp, std::string_view body);

// Why a request failed verification; reason() is the text for the 401.
enum class webhook_failure {
    none,
    missing_id,         // "missing webhook-id header" (absent or empty)
    missing_timestamp,  // "missing webhook-timestamp header"
    missing_signature,  // "missing webhook-signature header"
    bad_timestamp,      // "invalid webhook-timestamp": not 1 to 12 decimal digits
    too_old,            // "webhook-timestamp too old": more than `tolerance` before now
    too_new,            // "webhook-timestamp too far in the future": more than `tolerance` after now
    no_v1_signature,    // "no v1 signature in webhook-signature": no "v1," entry with a 32-byte MAC
    no_match,           // "invalid signature": no v1 entry matches any key (or there is no key)
};

struct ARALDO_EXPORT webhook_verdict {
    webhook_failure failure = webhook_failure::none;

    bool ok() const noexcept { return failure == webhook_failure::none; }
    // A static string ("" when ok), safe to keep.
    std::string_view reason() const noexcept;
};

// Verifies a received Standard Webhook. The three headers are passed as the
// request had them (nullopt when absent). `keys` are decoded secrets (see
// parse_webhook_secret); the request is accepted when any v1 entry of the
// header matches any key, other versions ("v1a,...") are skipped. Checks run
// in the order of webhook_failure, so the cheapest refusal wins. Every key is
// compared with every candidate in constant time.
ARALDO_EXPORT webhook_verdict verify_standard_webhook(const std::vector<std::string>& keys,
                                                      std::optional<std::string_view> id,
                                                      std::optional<std::string_view> timestamp, std::string_view body,
                                                      std::optional<std::string_view> signature_header,
                                                      std::chrono::system_clock::time_point now, duration tolerance);

}  // namespace araldo
