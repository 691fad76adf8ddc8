// Credentials for endpoint-http: bearer tokens and HTTP Basic pairs, checked
// in constant time. Sans-I/O: takes the Authorization header's value.
#pragma once

#include <araldo/result.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_http {

class credential_check {
public:
    credential_check(const std::vector<std::string>& tokens, const std::vector<std::string>& basic);

    bool required() const noexcept { return !tokens_.empty() || !basic_.empty(); }
    // Fails with the reason for the 401 unless the header carries an accepted credential.
    araldo::result<> check(std::optional<std::string_view> authorization) const;
    // The WWW-Authenticate challenges of a 401, one per scheme configured.
    std::vector<std::string> challenges() const;

private:
    using digest = std::array<unsigned char, 32>;
    // Digests are compared rather than the secrets themselves, so the time a
    // comparison takes says nothing about a secret's length or content.
    static bool any_matches(const std::vector<digest>& accepted, std::string_view given);

    std::vector<digest> tokens_;
    std::vector<digest> basic_;
};

}  // namespace araldo::plugins::endpoint_http
