// Client authentication before the upgrade: static bearer tokens, HS256
// JSON Web Tokens and verified client certificates (over TLS). No I/O;
// unit-tested with hand-made tokens and requests.
#pragma once

#include <araldo/folder.hpp>
#include <araldo/http.hpp>
#include <araldo/result.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

using wall_clock = std::chrono::system_clock;

// What a client may touch on an endpoint with `folders: true`: read
// (subscribe to) and write (address its messages to) folders matching its
// globs, and its own folder, where its messages go when they name none
// (and which it may always write). A client whose credential says nothing of
// folders (a static token, a JWT without these claims, no auth at all) is
// unrestricted.
struct folder_rights {
    std::string folder;  // empty: none
    std::vector<araldo::folder_glob> read, write;

    bool may_read(std::string_view f) const noexcept;
    bool may_write(std::string_view f) const noexcept;
};

// Who an accepted client is. A refusal's reason goes into the 401 body and the log.
struct client_identity {
    std::optional<wall_clock::time_point> expires;  // a JWT's exp: the connection closes then
    std::string subject;                            // a JWT's sub, when it has one
    araldo::string_pairs tls;                       // tls.cn and tls.san of a verified client certificate
    std::shared_ptr<const folder_rights> rights;    // null: unrestricted

    bool empty() const noexcept { return !expires && subject.empty() && tls.empty() && !rights; }
    // Who this is, for connection events and the connect message: the JWT's
    // sub (or key's identity), else the certificate's CN; empty: nobody in particular.
    std::string_view name() const noexcept;
};

// A JWT's "folder", "read" and "write" claims (a folder, and lists of folder
// globs); null when it has none of them.
araldo::result<std::shared_ptr<const folder_rights>> rights_from_claims(const std::optional<std::string>& folder,
                                                                        const std::vector<std::string>& read,
                                                                        const std::vector<std::string>& write,
                                                                        bool any_claim);
using auth_result = araldo::result<client_identity>;

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
