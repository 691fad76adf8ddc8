#include "signing.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace araldo::plugins::endpoint_webhook {

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return std::nullopt;
    std::string out(text.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) return std::nullopt;
    // EVP_DecodeBlock counts the padding as zero bytes.
    std::size_t pad = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

std::optional<std::string> decode_secret(std::string_view secret) {
    constexpr std::string_view prefix = "whsec_";
    if (!secret.starts_with(prefix)) return std::nullopt;
    auto key = base64_decode(secret.substr(prefix.size()));
    if (!key || key->empty()) return std::nullopt;
    return key;
}

std::string sign(const std::vector<std::string>& keys, std::string_view id, std::int64_t timestamp,
                 std::string_view body) {
    std::string content;
    content.reserve(id.size() + body.size() + 24);
    content.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
    std::string header;
    for (const auto& key : keys) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &len);
        if (!header.empty()) header += ' ';
        header += "v1,";
        header += base64_encode(std::string_view(reinterpret_cast<const char*>(mac), len));
    }
    return header;
}

}  // namespace araldo::plugins::endpoint_webhook
