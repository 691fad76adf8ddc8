// Credentials for endpoint-http: bearer tokens and HTTP Basic pairs, checked
// in constant time, the names of client certificates the TLS listener
// verified, and keys with identities (a keys file's bearer keys). Sans-I/O:
// takes the Authorization header's value, the request's tls_info and the
// current key_store.
#pragma once

#include <araldo/keys.hpp>
#include <araldo/result.hpp>
#include <araldo/tls.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_http {

class credential_check {
public:
    // `client_certs`: names accepted as a verified client certificate's
    // subject CN or one of its SAN names. `keys`: bearer keys of a keys file
    // are accepted (the store is passed to check()).
    credential_check(const std::vector<std::string>& tokens, const std::vector<std::string>& basic,
                     std::vector<std::string> client_certs = {}, bool keys = false);

    bool required() const noexcept { return !tokens_.empty() || !basic_.empty() || !client_certs_.empty() || keys_; }
    // Fails with the reason for the 401 unless the request carries one
    // accepted credential: a header, or (with `tls`) a client certificate.
    // The value is the key's entry in `keys` when a key let the request in
    // (valid as long as `keys` is), else null.
    using verdict = araldo::result<const araldo::key_entry*>;
    verdict check(std::optional<std::string_view> authorization, const araldo::tls_info* tls = nullptr,
                  const araldo::key_store* keys = nullptr) const;
    // The WWW-Authenticate challenges of a 401, one per header scheme
    // configured (HTTP has none for client certificates).
    std::vector<std::string> challenges() const;

private:
    using digest = std::array<unsigned char, 32>;
    // Digests are compared rather than the secrets themselves, so the time a
    // comparison takes says nothing about a secret's length or content.
    static bool any_matches(const std::vector<digest>& accepted, std::string_view given);
    verdict check_header(std::optional<std::string_view> authorization, const araldo::key_store* keys) const;
    verdict check_bearer(std::string_view token, const araldo::key_store* keys) const;
    verdict check_certificate(const araldo::tls_info* tls) const;
    bool header_schemes() const noexcept { return !tokens_.empty() || !basic_.empty() || keys_; }

    std::vector<digest> tokens_;
    std::vector<digest> basic_;
    std::vector<std::string> client_certs_;  // names, not secrets: compared as they are
    bool keys_ = false;
};

}  // namespace araldo::plugins::endpoint_http
