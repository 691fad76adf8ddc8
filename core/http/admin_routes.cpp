#include "http/admin_routes.hpp"

#include <araldo/encoding.hpp>
#include <araldo/log_rate.hpp>
#include <araldo/signing.hpp>

#include <spdlog/logger.h>
#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <variant>

namespace araldo::detail {
namespace {

namespace beast = boost::beast;
namespace json = boost::json;

constexpr std::string_view bearer = "Bearer ";
// Any fixed key: the digests only make both sides of the comparison one
// length, so the time it takes does not tell the token's length either.
constexpr std::string_view digest_key = "araldo admin token";

// The scheme is case-insensitive (RFC 9110 section 11.1): "bearer x" is "Bearer x".
bool is_bearer(std::string_view auth) {
    return auth.size() >= bearer.size() && beast::iequals(auth.substr(0, bearer.size()), bearer);
}

std::vector<std::string> split(std::string_view path) {
    std::vector<std::string> out;
    if (path.empty()) return out;
    for (;;) {
        const auto slash = path.find('/');
        out.emplace_back(path.substr(0, slash));
        if (slash == std::string_view::npos) return out;
        path.remove_prefix(slash + 1);
    }
}

// The path of a target as sent, with bytes outside ASCII (the parser lets
// them through) percent-encoded: it goes into JSON errors, which must be
// UTF-8, and decodes to the same segments.
std::string raw_path(std::string_view target) {
    if (!target.starts_with('/')) {  // absolute-form: "http://host/_admin/..."
        const auto scheme_end = target.find("://");
        const auto start = scheme_end == std::string_view::npos ? scheme_end : target.find('/', scheme_end + 3);
        target = start == std::string_view::npos ? std::string_view{"/"} : target.substr(start);
    }
    return percent_encode(target.substr(0, target.find('?')), percent_keep::visible_ascii);
}

// The path cut at '/' as sent and then percent-decoded segment by segment: an
// escaped '/' in an endpoint name or an id stays inside its segment. A
// trailing '/' is dropped ("/_admin/" is "/_admin"). nullopt for a bad
// escape, which the listener has refused already.
std::optional<std::vector<std::string>> segments_of(std::string_view path) {
    path.remove_prefix(1);
    if (path.ends_with('/')) path.remove_suffix(1);
    std::vector<std::string> out;
    for (auto& raw : split(path)) {
        auto segment = percent_decode(raw, false);
        if (!segment) return std::nullopt;
        out.push_back(std::move(*segment));
    }
    return out;
}

// A segment as it may be written in a URL path (RFC 3986 unreserved kept).
std::string encode_segment(std::string_view s) { return percent_encode(s, percent_keep::unreserved); }

std::string join_methods(const std::vector<std::string>& methods) {
    std::string out;
    for (const auto& m : methods) out += (out.empty() ? "" : ", ") + m;
    return out;
}

bool allows(const std::vector<std::string>& methods, const std::string& method) {
    return methods.empty() || std::find(methods.begin(), methods.end(), method) != methods.end();
}

bool matches(const std::vector<std::string>& route, bool prefix, const std::vector<std::string>& rest) {
    if (rest.size() < route.size() || (!prefix && rest.size() != route.size())) return false;
    return std::equal(route.begin(), route.end(), rest.begin());
}

http_response method_not_allowed(const std::string& method, const std::string& path,
                                 const std::vector<std::string>& allowed) {
    auto r = http_response::error(405, "method " + method + " not allowed on " + path);
    r.headers.emplace_back("Allow", join_methods(allowed));
    return r;
}

}  // namespace

admin_routes::admin_routes(metrics_registry& metrics, std::shared_ptr<spdlog::logger> log)
    : log_(std::move(log)), metrics_(metrics) {}

void admin_routes::add(const std::string& endpoint, const std::string& plugin_id, admin_route route) {
    if (!route.handler) throw std::invalid_argument("admin route '" + route.path + "' has no handler");
    auto segments = split(route.path);
    for (const auto& s : segments) {
        if (s.empty() || s.find_first_of("?#") != std::string::npos) {
            throw std::invalid_argument("admin route path '" + route.path +
                                        "': segments without leading, trailing or double '/', '?' or '#'");
        }
    }
    auto table = std::find_if(endpoints_.begin(), endpoints_.end(), [&](const auto& t) { return t.name == endpoint; });
    if (table == endpoints_.end()) table = endpoints_.insert(endpoints_.end(), endpoint_table{endpoint, plugin_id, {}});
    for (const auto& m : table->routes) {
        if (m.segments == segments && m.route->prefix == route.prefix)
            throw std::invalid_argument("admin route '" + route.path + "' is already registered by " + endpoint);
    }
    table->routes.push_back({std::move(segments), std::make_shared<const admin_route>(std::move(route))});
}

void admin_routes::remove(const std::string& endpoint) {
    std::erase_if(endpoints_, [&](const endpoint_table& t) { return t.name == endpoint; });
}

http_route admin_routes::mount(std::string token) {
    token_digest_.clear();
    if (!token.empty()) token_digest_ = hmac_sha256(digest_key, token);
    http_route r;
    r.path = "/_admin";
    r.prefix = true;
    r.max_body = 0;
    for (const auto& t : endpoints_)
        for (const auto& m : t.routes) r.max_body = std::max(r.max_body, m.route->max_body);
    r.handler = [this](http_request req) { return serve(std::move(req)); };
    return r;
}

std::optional<http_response> admin_routes::check_token(const http_request& req) const {
    if (token_digest_.empty()) return http_response::error(403, "admin API disabled: set global.admin-token");
    const auto auth = req.header("authorization");
    if (!auth || !is_bearer(*auth) ||
        !constant_time_equal(hmac_sha256(digest_key, auth->substr(bearer.size())), token_digest_)) {
        auto r = http_response::error(401, "missing or wrong admin token");
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return r;
    }
    return std::nullopt;
}

asio::awaitable<http_response> admin_routes::serve(http_request req) {
    auto resolved = resolve(req);
    if (auto* answer = std::get_if<http_response>(&resolved)) co_return std::move(*answer);
    dispatch& d = std::get<dispatch>(resolved);
    // A named local: g++ 12 frees a braced temporary inside co_await twice.
    admin_request areq{std::move(req), std::move(d.rest)};
    try {
        // The handler is endpoint_host's wrapper: it has charged the fault to
        // the endpoint and logged it before this catch sees it. Routes never
        // change once mounted, so d.route stays valid across the await.
        co_return co_await d.route->handler(std::move(areq));
    } catch (...) {}
    co_return http_response::error(500, "internal error in the admin handler of " + d.endpoint);
}

std::variant<http_response, admin_routes::dispatch> admin_routes::resolve(const http_request& req) {
    if (auto no = check_token(req)) return refused(req, std::move(*no));
    const std::string path = raw_path(req.target);
    const auto not_found = [&] { return refused(req, http_response::error(404, "no admin path " + path)); };
    const auto segments = segments_of(path);
    if (!segments || segments->empty() || (*segments)[0] != "_admin") return not_found();
    if (segments->size() == 1) {
        if (req.method == "GET") return listing();
        return refused(req, method_not_allowed(req.method, path, {"GET"}));
    }
    if (segments->size() == 2 && (*segments)[1] == "reload" && reload_) {
        if (req.method == "POST") return reload_();
        return refused(req, method_not_allowed(req.method, path, {"POST"}));
    }
    const endpoint_table* table =
        segments->size() >= 3 && (*segments)[1] == "endpoints" ? find((*segments)[2]) : nullptr;
    if (!table) return not_found();
    const std::vector<std::string> rest(segments->begin() + 3, segments->end());
    const mounted* best = nullptr;
    for (const auto& m : table->routes) {
        if (!matches(m.segments, m.route->prefix, rest)) continue;
        // The longest path wins; at equal length the exact route.
        if (!best || m.segments.size() > best->segments.size() ||
            (m.segments.size() == best->segments.size() && !m.route->prefix))
            best = &m;
    }
    if (!best) return not_found();
    if (!allows(best->route->methods, req.method))
        return refused(req, method_not_allowed(req.method, path, best->route->methods));
    if (req.body.size() > best->route->max_body) {
        return refused(req, http_response::error(
                                413, "request body larger than " + std::to_string(best->route->max_body) + " bytes"));
    }
    const auto taken = static_cast<std::ptrdiff_t>(best->segments.size());
    return dispatch{best->route, table->name, std::vector<std::string>(rest.begin() + taken, rest.end())};
}

http_response admin_routes::listing() const {
    json::array endpoints;
    for (const auto& t : endpoints_) {
        json::array routes;
        for (const auto& m : t.routes) {
            std::string path = "/_admin/endpoints/";  // appended: see keys.cpp (g++ 12 -Wrestrict)
            path.append(encode_segment(t.name));
            for (const auto& s : m.segments) path.append("/").append(encode_segment(s));
            json::array methods;
            for (const auto& method : m.route->methods) methods.emplace_back(method);
            routes.emplace_back(json::object{{"path", std::move(path)},
                                             {"prefix", m.route->prefix},
                                             {"methods", std::move(methods)},
                                             {"max_body", m.route->max_body}});
        }
        endpoints.emplace_back(json::object{{"name", t.name}, {"plugin", t.plugin_id}, {"routes", std::move(routes)}});
    }
    return http_response::json(200, json::serialize(json::object{{"endpoints", std::move(endpoints)}}));
}

const admin_routes::endpoint_table* admin_routes::find(std::string_view name) const {
    for (const auto& t : endpoints_)
        if (t.name == name) return &t;
    return nullptr;
}

http_response admin_routes::refused(const http_request& req, http_response r) {
    auto& c = refused_[r.status];
    if (c == nullptr)
        c = &metrics_.counter("araldo_admin_refused_total", {{"status", std::to_string(r.status)}},
                              "admin API requests the core refused (401, 403, 404, 405, 413)");
    c->inc();
    if (worth_logging(c->value())) {
        // The target as sent: at most a line's worth, whatever a client puts there.
        log_->warn("admin: {} {} from {} refused with {} ({} so far)", req.method, req.target.substr(0, 200),
                   req.remote_address, r.status, c->value());
    }
    return r;
}

}  // namespace araldo::detail
