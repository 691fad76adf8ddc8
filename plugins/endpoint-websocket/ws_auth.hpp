// Client authentication before the upgrade: static bearer tokens, HS256
// JSON Web Tokens and verified client certificates (over TLS). No I/O;
// unit-tested with hand-made tokens and requests.
#pragma once

#include <araldo/folder.hpp>
#include <araldo/http.hpp>
#include <araldo/keys.hpp>
#include <araldo/result.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

using wall_clock = std::chrono::system_clock;

// Who an accepted client is. A refusal's reason goes into the 401 body and the log.
struct client_identity {
    std::optional<wall_clock::time_point> expires;  // a JWT's exp: the connection closes then
    std::string subject;                            // a JWT's sub, when it has one
    araldo::string_pairs tls;                       // tls.cn and tls.san of a verified client certificate
    // What it may read and write in folder mode (docs/folders.md, "Keys"):
    // from its key, or from its JWT's folder claims; null: unrestricted.
    std::shared_ptr<const araldo::key_identity> rights;
    std::string key_id;  // the key it presented (araldo::key_entry::id), checked again on every reload

    bool empty() const noexcept { return !expires && subject.empty() && tls.empty() && !rights; }
    // Who this is, for connection events and the connect message: the JWT's
    // sub (or key's identity), else the certificate's CN; empty: nobody in particular.
    std::string_view name() const noexcept;
};

// A JWT's "folder", "read" and "write" claims (a folder, and lists of folder
// globs) for the identity `sub`; null when it has none of them.
araldo::result<std::shared_ptr<const araldo::key_identity>> rights_from_claims(const std::string& sub,
                                                                               const std::optional<std::string>& folder,
                                                                               const std::vector<std::string>& read,
                                                                               const std::vector<std::string>& write,
                                                                               bool any_claim);

using auth_result = araldo::result<client_identity>;

// A bearer token that is a key of `keys` (null: no keys file): the key's
// identity, rights and id. Nullopt when the token is no key (other
// credentials may still accept it); a refusal for a revoked key.
std::optional<auth_result> authenticate_key(const http_request& req,
                                            const std::shared_ptr<const araldo::key_store>& keys);

// A JWT signed with HS256 by `secret`, valid at `now` (exp, nbf). Any other
// algorithm, "none" included, is refused.
auth_result verify_jwt(std::string_view token, std::string_view secret, wall_clock::time_point now);

// The token from "Authorization: Bearer <t>", else from ?token=<t>.
std::optional<std::string> request_token(const http_request& req);

// Accepts a request carrying one of `tokens` or a JWT valid for `jwt_secret`
// (either is enough when both are configured).
auth_result authenticate(const http_request& req, const std::vector<std::string>& tokens, std::string_view jwt_secret,
                         wall_clock::time_point now);

// Accepts a request that came over TLS with a verified client certificate
// whose CN, or one of whose SAN names, is in `allowed`.
auth_result check_client_certificate(const http_request& req, const std::vector<std::string>& allowed);

// Every credential configured, any one of which is enough: a client
// certificate in `client_certs`, one of `tokens`, a JWT for `jwt_secret`.
// An empty list or secret is not configured.
auth_result authenticate(const http_request& req, const std::vector<std::string>& tokens, std::string_view jwt_secret,
                         const std::vector<std::string>& client_certs, wall_clock::time_point now);

}  // namespace araldo::plugins::endpoint_websocket
