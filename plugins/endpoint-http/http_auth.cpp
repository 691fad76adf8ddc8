#include "http_auth.hpp"

#include <araldo/encoding.hpp>
#include <araldo/http.hpp>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>

namespace araldo::plugins::endpoint_http {

namespace {

std::array<unsigned char, 32> sha256(std::string_view s) {
    std::array<unsigned char, 32> out{};
    SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.data());
    return out;
}

}  // namespace

credential_check::credential_check(const std::vector<std::string>& tokens, const std::vector<std::string>& basic,
                                   std::vector<std::string> client_certs, bool keys)
    : client_certs_(std::move(client_certs)), keys_(keys) {
    for (const auto& t : tokens) tokens_.push_back(sha256(t));
    for (const auto& b : basic) basic_.push_back(sha256(b));
}

bool credential_check::any_matches(const std::vector<digest>& accepted, std::string_view given) {
    const digest d = sha256(given);
    bool found = false;
    // Every entry is compared: no early exit tells which one matched.
    for (const auto& a : accepted) found |= CRYPTO_memcmp(a.data(), d.data(), d.size()) == 0;
    return found;
}

// Any one accepted credential lets the request in. The reason of a refusal
// is about the header when one was sent for a scheme configured here, else
// about the certificate when certificates are accepted.
credential_check::verdict credential_check::check(std::optional<std::string_view> authorization,
                                                  const araldo::tls_info* tls, const araldo::key_store* keys) const {
    if (!required()) return verdict::ok(nullptr);
    if (client_certs_.empty()) return check_header(authorization, keys);
    auto certificate = check_certificate(tls);
    if (certificate || !header_schemes()) return certificate;
    auto header = check_header(authorization, keys);
    return header || authorization ? header : certificate;
}

credential_check::verdict credential_check::check_certificate(const araldo::tls_info* tls) const {
    if (!tls) return verdict::fail("client certificate required (the request did not come over TLS)");
    if (!tls->peer) return verdict::fail("client certificate required");
    const auto accepted = [&](const std::string& name) {
        return !name.empty() && std::find(client_certs_.begin(), client_certs_.end(), name) != client_certs_.end();
    };
    if (accepted(tls->peer->cn) || std::any_of(tls->peer->san.begin(), tls->peer->san.end(), accepted))
        return verdict::ok(nullptr);
    return verdict::fail("client certificate " +
                         std::string(tls->peer->cn.empty() ? "without a CN" : "CN=" + tls->peer->cn) +
                         " is not accepted here");
}

// A key's entry wins over a plain token with the same text: the identity is
// what the sender asked for by using a key.
credential_check::verdict credential_check::check_bearer(std::string_view token, const araldo::key_store* keys) const {
    if (tokens_.empty() && !keys_) return verdict::fail("bearer tokens are not accepted here");
    if (keys_ && keys) {
        if (const araldo::key_entry* key = keys->match(token)) {
            if (!key->active()) return verdict::fail("revoked key");
            return verdict::ok(key);
        }
    }
    return any_matches(tokens_, token) ? verdict::ok(nullptr) : verdict::fail("invalid bearer token");
}

credential_check::verdict credential_check::check_header(std::optional<std::string_view> authorization,
                                                         const araldo::key_store* keys) const {
    if (!authorization) return verdict::fail("credentials required");
    const std::string_view value = araldo::trim_ows(*authorization);
    const auto space = value.find(' ');
    const std::string_view scheme = value.substr(0, space);
    const std::string_view rest = space == std::string_view::npos ? std::string_view{} : araldo::trim_ows(value.substr(space));
    if (araldo::ascii_iequals(scheme, "Bearer")) return check_bearer(rest, keys);
    if (araldo::ascii_iequals(scheme, "Basic")) {
        if (basic_.empty()) return verdict::fail("basic authentication is not accepted here");
        const auto pair = base64_decode(rest);
        if (!pair) return verdict::fail("malformed basic credentials");
        return any_matches(basic_, *pair) ? verdict::ok(nullptr) : verdict::fail("invalid user or password");
    }
    return verdict::fail("unsupported authorization scheme");
}

std::vector<std::string> credential_check::challenges() const {
    std::vector<std::string> out;
    if (!tokens_.empty() || keys_) out.emplace_back("Bearer realm=\"araldo\"");
    if (!basic_.empty()) out.emplace_back("Basic realm=\"araldo\", charset=\"UTF-8\"");
    return out;
}

}  // namespace araldo::plugins::endpoint_http
