#include "http/request_rules.hpp"

#include <araldo/encoding.hpp>
#include <araldo/utf8.hpp>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include <algorithm>

namespace araldo::detail {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

// Strict: a broken escape or an encoded NUL makes the request malformed (400).
std::optional<std::string> decode_path(std::string_view in) {
    auto out = percent_decode(in, false);
    if (!out || out->find('\0') != std::string::npos) return std::nullopt;
    return out;
}

// The path-and-query part of a target; absolute-form ("http://host/x") is
// allowed by HTTP/1.1, "*" and authority-form are not served here.
std::optional<std::string_view> origin_form(std::string_view target) {
    if (target.starts_with('/')) return target;
    const auto scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return std::nullopt;
    const auto path_start = target.find('/', scheme_end + 3);
    return path_start == std::string_view::npos ? std::string_view{"/"} : target.substr(path_start);
}

std::string lower(std::string_view s) {
    std::string out{s};
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// The path for an error message. A decoded path can hold any bytes (%FF), but
// the error body is JSON, which must be UTF-8: bytes that are not UTF-8 text
// are percent-encoded again, as the client may have sent them.
std::string printable_path(const std::string& path) {
    if (valid_utf8(path)) return path;
    return percent_encode(path, percent_keep::visible_ascii);
}

bool route_matches(const http_route& r, std::string_view path) {
    if (path == r.path) return true;
    if (!r.prefix || !path.starts_with(r.path)) return false;
    return r.path.back() == '/' || path[r.path.size()] == '/';
}

}  // namespace

std::optional<http_request> make_request(const header_parser& hp, const std::string& remote) {
    const auto& h = hp.get();
    http_request r;
    r.method = std::string_view{h.method_string()};
    r.target = std::string_view{h.target()};
    const auto origin = origin_form(r.target);
    if (!origin) return std::nullopt;
    const auto q = origin->find('?');
    auto path = decode_path(origin->substr(0, q));
    if (!path) return std::nullopt;
    r.path = std::move(*path);
    if (q != std::string_view::npos) r.query = origin->substr(q + 1);
    for (const auto& field : h) r.headers.emplace_back(lower(field.name_string()), std::string_view{field.value()});
    r.remote_address = remote;
    return r;
}

// Checked by hand rather than with websocket::is_upgrade: the websocket
// headers cost seconds of compile time in every TU that includes them.
bool is_websocket_upgrade(const header_parser& hp) {
    const auto& h = hp.get();
    if (h.version() < 11 || h.method() != http::verb::get || !hp.upgrade()) return false;
    for (const auto token : http::token_list{h[http::field::upgrade]})
        if (beast::iequals(token, "websocket")) return true;
    return false;
}

bool has_transfer_encoding(const header_parser& hp) {
    return hp.get().find(http::field::transfer_encoding) != hp.get().end();
}

bool has_body(const header_parser& hp) {
    return hp.chunked() || has_transfer_encoding(hp) || hp.content_length().value_or(0) > 0;
}

bool expects_continue(const header_parser& hp) {
    return hp.get().version() >= 11 && beast::iequals(hp.get()[http::field::expect], "100-continue");
}

std::shared_ptr<const http_route> find_route(const listener_state& st, std::string_view path,
                                             const std::string& listener) {
    std::shared_ptr<const http_route> best;
    for (const auto& s : st.http_routes)
        if (s.on(listener) && route_matches(*s.route, path) && (!best || s.route->path.size() > best->path.size()))
            best = s.route;
    return best;
}

std::shared_ptr<const upgrade_route> find_upgrade(const listener_state& st, std::string_view path,
                                                  const std::string& listener) {
    for (const auto& s : st.upgrade_routes)
        if (s.on(listener) && s.route->path == path) return s.route;
    return nullptr;
}

std::optional<http_response> refuse(const http_route* route, const http_request& req, const header_parser& hp) {
    if (route == nullptr) return http_response::error(404, "no route for " + printable_path(req.path));
    const auto& methods = route->methods;
    if (!methods.empty() && std::find(methods.begin(), methods.end(), req.method) == methods.end()) {
        auto response = http_response::error(405, "method " + req.method + " not allowed on " + route->path);
        std::string allow;
        for (const auto& m : methods) allow += (allow.empty() ? "" : ", ") + m;
        response.headers.emplace_back("Allow", std::move(allow));
        return response;
    }
    if (hp.content_length().value_or(0) > route->max_body)
        return http_response::error(413, "request body larger than " + std::to_string(route->max_body) + " bytes");
    // No 411 for a request without Content-Length or Transfer-Encoding: RFC
    // 9112 §6.3 (rule 7) gives it an empty body, so `curl -X POST .../retry`
    // is a complete request. The one request whose length cannot be known is
    // one whose Transfer-Encoding does not end in chunked (rule 4): that is a
    // 400 and the connection closes (has_body() is true for it), since its
    // bytes must not be read as the next request. 411 is therefore never
    // right here: the listener always knows where a request ends or refuses it.
    if (has_transfer_encoding(hp) && !hp.chunked())
        return http_response::error(400, "Transfer-Encoding must end in chunked: the body length is unknown");
    return std::nullopt;
}

std::optional<http_response> upgrade_required(const listener_state& st, const http_route* route,
                                              const http_request& req) {
    // A route registered for exactly this path wins; a prefix route (static
    // files at /) must not turn a WebSocket path into a 404.
    if (route != nullptr && route->path == req.path) return std::nullopt;
    if (!find_upgrade(st, req.path, req.listener)) return std::nullopt;
    auto response = http_response::error(426, req.path + " is a WebSocket endpoint: connect with Upgrade: websocket");
    response.headers.emplace_back("Upgrade", "websocket");
    return response;
}

reply_to reply_of(const header_parser& hp) {
    const auto& h = hp.get();
    return {h.version(), h.keep_alive(), h.method() == http::verb::head};
}

}  // namespace araldo::detail
