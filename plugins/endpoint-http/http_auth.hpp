// Credentials for endpoint-http: bearer tokens and HTTP Basic pairs, checked
// in constant time, and the names of client certificates the TLS listener
// verified. Sans-I/O: takes the Authorization header's value and the
// request's tls_info.
#pragma once

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
    // subject CN or one of its SAN names.
    credential_check(const std::vector<std::string>& tokens, const std::vector<std::string>& basic,
                     std::vector<std::string> client_certs = {});

    bool required() const noexcept { return !tokens_.empty() || !basic_.empty() || !client_certs_.empty(); }
    // Fails with the reason for the 401 unless the request carries one
    // accepted credential: a header, or (with `tls`) a client certificate.
    araldo::result<> check(std::optional<std::string_view> authorization, const araldo::tls_info* tls = nullptr) const;
    // The WWW-Authenticate challenges of a 401, one per header scheme
    // configured (HTTP has none for client certificates).
    std::vector<std::string> challenges() const;

private:
    using digest = std::array<unsigned char, 32>;
    // Digests are compared rather than the secrets themselves, so the time a
    // comparison takes says nothing about a secret's length or content.
    static bool any_matches(const std::vector<digest>& accepted, std::string_view given);
    araldo::result<> check_header(std::optional<std::string_view> authorization) const;
    araldo::result<> check_certificate(const araldo::tls_info* tls) const;
    bool header_schemes() const noexcept { return !tokens_.empty() || !basic_.empty(); }

    std::vector<digest> tokens_;
    std::vector<digest> basic_;
    std::vector<std::string> client_certs_;  // names, not secrets: compared as they are
};

}  // namespace araldo::plugins::endpoint_http
