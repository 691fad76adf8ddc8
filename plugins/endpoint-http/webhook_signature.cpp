#include "webhook_signature.hpp"

#include "base64.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <charconv>
#include <cstdint>

namespace araldo::plugins::endpoint_http {

namespace {

using mac = std::array<unsigned char, 32>;

mac hmac_sha256(std::string_view key, std::string_view id, std::string_view timestamp, std::string_view body) {
    std::string content;
    content.reserve(id.size() + timestamp.size() + body.size() + 2);
    content.append(id).append(".").append(timestamp).append(".").append(body);
    mac out{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
         content.size(), out.data(), &len);
    return out;
}

std::optional<std::int64_t> parse_seconds(std::string_view s) {
    std::int64_t v = 0;
    if (s.empty() || s.size() > 12) return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v < 0) return std::nullopt;
    return v;
}

// The v1 signatures of the header, decoded; other versions (v1a) are skipped.
std::vector<std::string> v1_signatures(std::string_view header) {
    std::vector<std::string> out;
    while (!header.empty()) {
        const auto space = header.find(' ');
        const std::string_view entry = header.substr(0, space);
        header = space == std::string_view::npos ? std::string_view{} : header.substr(space + 1);
        if (!entry.starts_with("v1,")) continue;
        if (auto raw = base64_decode(entry.substr(3)); raw && raw->size() == sizeof(mac)) out.push_back(std::move(*raw));
    }
    return out;
}

}  // namespace

webhook_verifier::webhook_verifier(std::vector<std::string> keys, araldo::duration tolerance)
    : keys_(std::move(keys)), tolerance_(tolerance) {}

std::string webhook_verifier::verify(const webhook_headers& h, std::string_view body,
                                     std::chrono::system_clock::time_point now) const {
    if (!enabled()) return {};
    if (!h.id || h.id->empty()) return "missing webhook-id header";
    if (!h.timestamp) return "missing webhook-timestamp header";
    if (!h.signature) return "missing webhook-signature header";
    const auto seconds = parse_seconds(*h.timestamp);
    if (!seconds) return "invalid webhook-timestamp";
    const auto sent = std::chrono::system_clock::time_point{std::chrono::seconds{*seconds}};
    const auto skew = sent > now ? sent - now : now - sent;
    if (skew > tolerance_) return sent < now ? "webhook-timestamp too old" : "webhook-timestamp too far in the future";
    const auto candidates = v1_signatures(*h.signature);
    if (candidates.empty()) return "no v1 signature in webhook-signature";
    bool found = false;
    for (const auto& key : keys_) {
        const mac expected = hmac_sha256(key, *h.id, *h.timestamp, body);
        for (const auto& c : candidates) found |= CRYPTO_memcmp(c.data(), expected.data(), expected.size()) == 0;
    }
    return found ? std::string{} : "invalid signature";
}

std::string webhook_verifier::sign(std::string_view key, std::string_view id, std::string_view timestamp,
                                   std::string_view body) {
    const mac m = hmac_sha256(key, id, timestamp, body);
    return "v1," + base64_encode(std::string_view(reinterpret_cast<const char*>(m.data()), m.size()));
}

}  // namespace araldo::plugins::endpoint_http
