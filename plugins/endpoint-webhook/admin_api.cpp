#include "admin_api.hpp"

#include "store.hpp"
#include "webhook_endpoint.hpp"

#include <araldo/message.hpp>
#include <araldo/units.hpp>

#include <boost/json.hpp>

#include <charconv>
#include <functional>
#include <optional>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

namespace json = boost::json;

namespace {

// Dead letters listed per request unless ?limit= says otherwise (oldest first).
constexpr std::size_t default_limit = 1000;

// ?since= as Unix seconds, or a duration back from now ("1h"); nullopt: unreadable.
std::optional<std::int64_t> since_ms(const std::string& text) {
    long long secs = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
    if (ec == std::errc{} && end == text.data() + text.size()) return secs * 1000;
    if (auto d = araldo::parse_duration(text)) return unix_ms_now() - d->count();
    return std::nullopt;
}

http_response ok(json::object body) { return http_response::json(200, json::serialize(body)); }

http_response not_allowed(std::string_view allow) {
    http_response r = http_response::error(405, "allowed here: " + std::string(allow));
    r.headers.emplace_back("Allow", std::string(allow));
    return r;
}

http_response list(const webhook_endpoint& ep, const http_request& req) {
    std::int64_t since = 0;
    if (auto s = req.query_param("since")) {
        auto ms = since_ms(*s);
        if (!ms) return http_response::error(400, "since: Unix seconds or a duration such as 1h");
        since = *ms;
    }
    std::size_t limit = default_limit;
    if (auto l = req.query_param("limit")) {
        auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
        if (ec != std::errc{} || end != l->data() + l->size() || limit == 0)
            return http_response::error(400, "limit: a positive number");
    }
    json::array items;
    std::size_t total = 0;
    for (auto& f : list_dead_letters(ep.data_dir(), ep.name())) {
        if (f.d.dead_at_ms < since) continue;
        if (++total <= limit) items.push_back(json::parse(to_json(f.d)));
    }
    std::size_t n = items.size();
    return ok({{"deadletters", std::move(items)}, {"count", n}, {"total", total}});
}

http_response show(const webhook_endpoint& ep, const std::string& id) {
    for (auto& f : list_dead_letters(ep.data_dir(), ep.name()))
        if (f.d.id == id) return http_response::json(200, to_json(f.d));
    return http_response::error(404, "no dead letter " + id);
}

http_response retry_one(webhook_endpoint& ep, const std::string& id) {
    switch (ep.retry_dead_letter(id)) {
        case retry_status::queued:
            return http_response::json(
                202, json::serialize(json::object{{"id", id}, {"endpoint", ep.name()}, {"message", "queued"}}));
        case retry_status::pending: return http_response::error(409, "a delivery with this id is already pending");
        case retry_status::failed:
            return http_response::error(503, "cannot queue the dead letter now (stopping or spool error)");
        case retry_status::not_found: break;
    }
    return http_response::error(404, "no dead letter " + id);
}

http_response discard(const webhook_endpoint& ep, const std::string& id) {
    std::size_t n = 0;
    for (auto& f : list_dead_letters(ep.data_dir(), ep.name())) {
        std::error_code ec;
        if (f.d.id == id && fs::remove(f.path, ec)) ++n;
    }
    if (n == 0) return http_response::error(404, "no dead letter " + id);
    return ok({{"id", id}, {"deleted", n}});
}

// deadletters/<id> and deadletters/<id>/retry; `rest` is what follows "deadletters".
http_response one_letter(webhook_endpoint& ep, const admin_request& req) {
    const auto& rest = req.rest;
    const bool retry = rest.size() == 2 && rest[1] == "retry";
    if (rest.size() != 1 && !retry) return http_response::error(404, "not found");
    const std::string& id = rest[0];
    // The SDK's rule, the one every ingress enforces: any id accepted can be addressed here.
    if (!araldo::valid_message_id(id)) return http_response::error(400, "not a message id");
    const std::string& method = req.http.method;
    if (retry) return method == "POST" ? retry_one(ep, id) : not_allowed("POST");
    if (method == "GET") return show(ep, id);
    if (method == "DELETE") return discard(ep, id);
    return not_allowed("GET, DELETE");
}

admin_route route(std::string path, bool prefix, std::vector<std::string> methods,
                  std::function<http_response(admin_request&)> answer) {
    admin_route r;
    r.path = std::move(path);
    r.prefix = prefix;
    r.methods = std::move(methods);
    // Every handler answers at once, on the core thread: nothing to await.
    r.handler = [answer = std::move(answer)](admin_request req) -> asio::awaitable<http_response> {
        co_return answer(req);
    };
    return r;
}

}  // namespace

void add_admin_routes(webhook_endpoint& ep, araldo::endpoint_context& ctx) {
    webhook_endpoint* e = &ep;
    auto& http = ctx.http();
    http.add(route("deadletters", false, {"GET"}, [e](admin_request& req) { return list(*e, req.http); }));
    http.add(route("deadletters/retry", false, {"POST"}, [e](admin_request&) {
        return http_response::json(202, json::serialize(json::object{{"retried", e->retry_all_dead_letters()}}));
    }));
    http.add(
        route("deadletters", true, {"GET", "POST", "DELETE"}, [e](admin_request& req) { return one_letter(*e, req); }));
    http.add(route("enable", false, {"POST"}, [e](admin_request&) {
        const bool was_disabled = e->disabled();
        e->enable();
        return ok({{"endpoint", e->name()}, {"enabled", true}, {"was_disabled", was_disabled}});
    }));
}

}  // namespace araldo::plugins::endpoint_webhook
