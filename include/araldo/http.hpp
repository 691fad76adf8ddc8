// Paths on the core's HTTP listener, in plain types: plugins that serve HTTP
// never include Beast. The listener reads a request (within its limits), finds
// the route and awaits the handler; an upgrade route takes the connection over.
#pragma once

#include <araldo/export.hpp>
#include <araldo/options.hpp>
#include <araldo/tls.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo {

namespace asio = boost::asio;

struct ARALDO_EXPORT http_request {
    std::string method;    // "GET", "POST", ...
    std::string target;    // as sent: "/emit/x?type=y"
    std::string path;      // percent-decoded, without the query
    std::string query;     // raw, without '?'
    string_pairs headers;  // names in lower case
    std::string body;
    std::string remote_address;  // "127.0.0.1:53412"
    std::string listener;        // the name of the listener it came in on ("default" for server-port)
    // Set when it came over TLS: the protocol, and the client certificate's
    // identity if one was verified. Shared: the requests of one connection
    // hold the same.
    std::shared_ptr<const tls_info> tls;

    // First header with this (case-insensitive) name.
    std::optional<std::string_view> header(std::string_view name) const;
    // First query parameter with this name, percent-decoded.
    std::optional<std::string> query_param(std::string_view name) const;
};

struct ARALDO_EXPORT http_response {
    unsigned status = 200;
    std::string content_type = "application/json";
    string_pairs headers;
    std::string body;

    static http_response json(unsigned status, std::string body);
    static http_response text(unsigned status, std::string body);
    // {"error": "<reason>", "status": <status>}; every 4xx/5xx araldo sends looks like this.
    static http_response error(unsigned status, std::string_view reason);
};

// Header rules (RFC 9110 section 5): a name is a non-empty token, a value has
// no CR, LF or NUL (anything else could smuggle a second header or end the
// head early). The core checks every header a plugin puts in a response and
// refuses to send one that breaks them; plugins check configured headers
// with these when their options are read.
ARALDO_EXPORT bool valid_header_name(std::string_view name) noexcept;
ARALDO_EXPORT bool valid_header_value(std::string_view value) noexcept;

// Header names, schemes and tokens compare case-insensitively in ASCII only
// (no locale): "Content-Type" equals "content-type".
inline bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// Without the optional whitespace around a header value or list element (RFC 9110
// OWS: spaces and tabs only): " gzip\t" is "gzip".
inline std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

using http_handler = std::function<asio::awaitable<http_response>(http_request)>;

struct http_route {
    std::string path;                      // exact match, or a prefix when `prefix` is set
    bool prefix = false;                   // "/emit" then matches "/emit" and "/emit/..."
    std::vector<std::string> methods;      // allowed methods; others get 405. Empty: any.
    std::uint64_t max_body = 1024 * 1024;  // larger Content-Length: 413 before reading
    http_handler handler;
};

// A connection handed over after an upgrade request (WebSocket). `buffered`
// holds bytes the client sent after the request that the listener already
// read (plaintext, also over TLS). On a TLS listener `tls` is set, and every
// byte on the socket must go through it; the socket is still the one to wait
// on for readiness and to close.
struct http_upgrade {
    asio::ip::tcp::socket socket;
    http_request request;
    std::string buffered;
    std::unique_ptr<tls_stream> tls;  // null on a plain listener
};

struct upgrade_route {
    std::string path;
    // Runs before the upgrade: a response refuses it (401, 403, 503...), nullopt accepts.
    std::function<std::optional<http_response>(const http_request&)> check;
    // Takes ownership of the connection; called on the core thread.
    std::function<void(http_upgrade)> accept;
};

// An admin request: what the listener read, and the part of the path below
// the admin route's own.
struct admin_request {
    http_request http;  // path and target are the full ones: "/_admin/endpoints/<name>/..."
    // The path after the route's path, split at each '/' as sent and then
    // percent-decoded segment by segment, so an escaped '/' stays inside its
    // segment: "deadletters/a%2Fb/retry" under the prefix route "deadletters"
    // gives {"a/b", "retry"}. Empty for an exact match.
    std::vector<std::string> rest;
};

using admin_handler = std::function<asio::awaitable<http_response>(admin_request)>;

// A handler of the core's admin API, mounted at
// /_admin/endpoints/<endpoint-name>/<path>. The core answers everything that
// does not reach it, always with http_response::error's JSON: 403 with no
// global.admin-token, 401 for a missing or wrong bearer token, 404, 405 (with
// Allow) and 413. A handler that throws is a 500, charged to its endpoint.
struct admin_route {
    std::string path;     // segments without leading '/': "enable", "deadletters"; "" is the endpoint's root
    bool prefix = false;  // "deadletters" then also serves "deadletters/<id>/..."
    std::vector<std::string> methods;  // allowed methods; others get 405. Empty: any.
    std::uint64_t max_body = 0;        // admin requests rarely carry a body: a larger one is a 413
    admin_handler handler;
};

class ARALDO_EXPORT http_registry {
public:
    virtual ~http_registry();
    // A path registered twice (of the same kind) throws std::invalid_argument.
    virtual void add(http_route route) = 0;
    virtual void add(upgrade_route route) = 0;
    // Only the registry of an endpoint's context (endpoint_context::http())
    // takes admin routes, from the factory: it mounts them under the
    // endpoint's name, so endpoints never see each other's. The same path
    // and kind twice throws std::invalid_argument; any other registry, or a
    // call after start-up, throws std::logic_error.
    virtual void add(admin_route route);
};

}  // namespace araldo
