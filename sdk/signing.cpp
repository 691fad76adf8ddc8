#include <araldo/encoding.hpp>
#include <araldo/signing.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <cstdint>

namespace araldo {

namespace {

constexpr std::size_t mac_size = 32;

std::optional<std::int64_t> parse_seconds(std::string_view s) {
    std::int64_t v = 0;
    if (s.empty() || s.size() > 12) return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v < 0) return std::nullopt;
    return v;
}

std::string signed_content(std::string_view id, std::string_view timestamp, std::string_view body) {
    std::string content;
    content.reserve(id.size() + timestamp.size() + body.size() + 2);
    content.append(id).append(".").append(timestamp).append(".").append(body);
    return content;
}

// The v1 signatures of the header, decoded; other versions (v1a) and entries
// that are no 32-byte MAC are skipped.
std::vector<std::string> v1_signatures(std::string_view header) {
    std::vector<std::string> out;
    while (!header.empty()) {
        const auto space = header.find(' ');
        const std::string_view entry = header.substr(0, space);
        header = space == std::string_view::npos ? std::string_view{} : header.substr(space + 1);
        if (!entry.starts_with("v1,")) continue;
        if (auto raw = base64_decode(entry.substr(3)); raw && raw->size() == mac_size) out.push_back(std::move(*raw));
    }
    return out;
}

webhook_failure check_timestamp(std::string_view text, std::chrono::system_clock::time_point now, duration tolerance) {
    const auto seconds = parse_seconds(text);
    if (!seconds) return webhook_failure::bad_timestamp;
    const auto sent = std::chrono::system_clock::time_point{std::chrono::seconds{*seconds}};
    const auto skew = sent > now ? sent - now : now - sent;
    if (skew <= tolerance) return webhook_failure::none;
    return sent < now ? webhook_failure::too_old : webhook_failure::too_new;
}

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    // An empty key still needs a non-null pointer for OpenSSL 3.
    static const unsigned char no_key = 0;
    const void* key_data = key.empty() ? static_cast<const void*>(&no_key) : key.data();
    HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), mac, &len);
    return std::string(reinterpret_cast<const char*>(mac), len);
}

std::optional<std::string> parse_webhook_secret(std::string_view secret) {
    constexpr std::string_view prefix = "whsec_";
    if (!secret.starts_with(prefix)) return std::nullopt;
    auto key = base64_decode(secret.substr(prefix.size()));
    if (!key || key->empty()) return std::nullopt;
    return key;
}

std::string standard_webhook_signature(std::string_view key, std::string_view id, std::string_view timestamp,
                                       std::string_view body) {
    return "v1," + base64_encode(hmac_sha256(key, signed_content(id, timestamp, body)));
}

std::string standard_webhook_header(const std::vector<std::string>& keys, std::string_view id,
                                    std::string_view timestamp, std::string_view body) {
    const std::string content = signed_content(id, timestamp, body);
    std::string header;
    for (const auto& key : keys) {
        if (!header.empty()) header += ' ';
        header += "v1,";
        header += base64_encode(hmac_sha256(key, content));
    }
    return header;
}

std::string_view webhook_verdict::reason() const noexcept {
    switch (failure) {
        case webhook_failure::none: return "";
        case webhook_failure::missing_id: return "missing webhook-id header";
        case webhook_failure::missing_timestamp: return "missing webhook-timestamp header";
        case webhook_failure::missing_signature: return "missing webhook-signature header";
        case webhook_failure::bad_timestamp: return "invalid webhook-timestamp";
        case webhook_failure::too_old: return "webhook-timestamp too old";
        case webhook_failure::too_new: return "webhook-timestamp too far in the future";
        case webhook_failure::no_v1_signature: return "no v1 signature in webhook-signature";
        case webhook_failure::no_match: return "invalid signature";
    }
    return "invalid signature";
}

webhook_verdict verify_standard_webhook(const std::vector<std::string>& keys, std::optional<std::string_view> id,
                                        std::optional<std::string_view> timestamp, std::string_view body,
                                        std::optional<std::string_view> signature_header,
                                        std::chrono::system_clock::time_point now, duration tolerance) {
    if (!id || id->empty()) return {webhook_failure::missing_id};
    if (!timestamp) return {webhook_failure::missing_timestamp};
    if (!signature_header) return {webhook_failure::missing_signature};
    if (const auto f = check_timestamp(*timestamp, now, tolerance); f != webhook_failure::none) return {f};
    const auto candidates = v1_signatures(*signature_header);
    if (candidates.empty()) return {webhook_failure::no_v1_signature};
    const std::string content = signed_content(*id, *timestamp, body);
    bool found = false;
    // No early exit: the time taken does not tell which key or entry matched.
    for (const auto& key : keys) {
        const std::string expected = hmac_sha256(key, content);
        for (const auto& c : candidates) found |= constant_time_equal(c, expected);
    }
    return {found ? webhook_failure::none : webhook_failure::no_match};
}

}  // namespace araldo
