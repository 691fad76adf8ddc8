#include "admin_api.hpp"

#include "store.hpp"
#include "webhook_endpoint.hpp"

#include <araldo/encoding.hpp>
#include <araldo/message.hpp>
#include <araldo/units.hpp>

#include <boost/json.hpp>

#include <charconv>
#include <optional>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

namespace json = boost::json;

namespace {

constexpr std::string_view deadletters_path = "/_admin/deadletters";
constexpr std::string_view endpoints_path = "/_admin/endpoints";
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

// The path after `prefix`, cut at '/' in the target as sent and then
// percent-decoded segment by segment: an id may arrive escaped ("a%7Eb"),
// and an escaped '/' must not make a segment of its own. nullopt: a bad escape.
std::optional<std::vector<std::string>> segments_after(const http_request& req, std::string_view prefix) {
    std::string_view raw = req.target;
    raw = raw.substr(0, raw.find('?'));
    if (!raw.starts_with(prefix)) return std::nullopt;
    raw.remove_prefix(prefix.size());
    std::vector<std::string> out;
    if (raw.empty() || raw == "/") return out;
    if (!raw.starts_with('/')) return std::nullopt;
    raw.remove_prefix(1);
    for (;;) {
        auto slash = raw.find('/');
        auto segment = araldo::percent_decode(raw.substr(0, slash), false);
        if (!segment) return std::nullopt;
        out.push_back(std::move(*segment));
        if (slash == std::string_view::npos) break;
        raw.remove_prefix(slash + 1);
    }
    return out;
}

}  // namespace

admin_api& admin_api::instance() {
    static admin_api api;
    return api;
}

void admin_api::add(webhook_endpoint& ep, araldo::endpoint_context& ctx) {
    if (!registered_) {
        token_ = ctx.global().admin_token;
        data_dir_ = ctx.global().data_dir;
        http_route dl;
        dl.path = std::string(deadletters_path);
        dl.prefix = true;
        dl.methods = {"GET", "POST", "DELETE"};
        dl.max_body = 0;
        dl.handler = [this](http_request req) { return deadletters(std::move(req)); };
        ctx.http().add(std::move(dl));
        http_route en;
        en.path = std::string(endpoints_path);
        en.prefix = true;
        en.methods = {"POST"};
        en.max_body = 0;
        en.handler = [this](http_request req) { return endpoints(std::move(req)); };
        ctx.http().add(std::move(en));
        registered_ = true;
    }
    endpoints_.push_back(&ep);
}

std::optional<http_response> admin_api::refuse(const http_request& req) const {
    if (token_.empty()) return http_response::error(403, "admin API disabled: set global.admin-token");
    auto auth = req.header("authorization");
    constexpr std::string_view bearer = "Bearer ";
    if (!auth || !auth->starts_with(bearer) || !constant_time_equal(auth->substr(bearer.size()), token_)) {
        http_response r = http_response::error(401, "missing or wrong admin token");
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return r;
    }
    return std::nullopt;
}

asio::awaitable<http_response> admin_api::deadletters(http_request req) {
    if (auto no = refuse(req)) co_return *no;
    auto parts = segments_after(req, deadletters_path);
    if (!parts) co_return http_response::error(400, "bad percent-escape in the path");
    if (parts->empty()) {
        if (req.method == "GET") co_return list(req);
        co_return http_response::error(405, "GET lists dead letters");
    }
    if (parts->size() == 1 && (*parts)[0] == "retry") {
        if (req.method != "POST") co_return http_response::error(405, "POST retries dead letters");
        co_return retry_all(req);
    }
    const std::string& id = (*parts)[0];
    // The SDK's rule, the one every ingress enforces: any id accepted can be addressed here.
    if (!araldo::valid_message_id(id)) co_return http_response::error(400, "not a message id");
    bool retry = parts->size() == 2 && (*parts)[1] == "retry";
    if (retry && req.method == "POST") co_return retry_one(id);
    if (parts->size() == 1 && req.method == "DELETE") co_return discard(id);
    if (parts->size() == 1 && req.method == "GET") co_return show(id);
    co_return http_response::error(404, "not found");
}

asio::awaitable<http_response> admin_api::endpoints(http_request req) {
    if (auto no = refuse(req)) co_return *no;
    auto parts = segments_after(req, endpoints_path);
    if (!parts || parts->size() != 2 || (*parts)[1] != "enable") co_return http_response::error(404, "not found");
    const std::string& name = (*parts)[0];
    webhook_endpoint* ep = find(name);
    if (!ep) co_return http_response::error(404, "no webhook endpoint named '" + name + "'");
    bool was_disabled = ep->disabled();
    ep->enable();
    co_return ok({{"endpoint", ep->name()}, {"enabled", true}, {"was_disabled", was_disabled}});
}

http_response admin_api::list(const http_request& req) const {
    std::string endpoint = req.query_param("endpoint").value_or("");
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
    for (auto& f : list_dead_letters(data_dir_, endpoint)) {
        if (f.d.dead_at_ms < since) continue;
        if (++total <= limit) items.push_back(json::parse(to_json(f.d)));
    }
    std::size_t n = items.size();
    return ok({{"deadletters", std::move(items)}, {"count", n}, {"total", total}});
}

http_response admin_api::show(const std::string& id) const {
    for (auto& f : list_dead_letters(data_dir_))
        if (f.d.id == id) return http_response::json(200, to_json(f.d));
    return http_response::error(404, "no dead letter " + id);
}

http_response admin_api::retry_one(const std::string& id) {
    bool pending = false;
    for (webhook_endpoint* ep : endpoints_) {
        switch (ep->retry_dead_letter(id)) {
        case retry_status::queued:
            return http_response::json(202, json::serialize(json::object{
                                                {"id", id}, {"endpoint", ep->name()}, {"message", "queued"}}));
        case retry_status::pending:
            pending = true;
            break;
        case retry_status::failed:
            return http_response::error(503, "cannot queue the dead letter now (stopping or spool error)");
        case retry_status::not_found:
            break;
        }
    }
    if (pending) return http_response::error(409, "a delivery with this id is already pending");
    return http_response::error(404, "no dead letter " + id);
}

http_response admin_api::retry_all(const http_request& req) {
    std::string endpoint = req.query_param("endpoint").value_or("");
    if (!endpoint.empty() && !find(endpoint))
        return http_response::error(404, "no webhook endpoint named '" + endpoint + "'");
    std::size_t n = 0;
    for (webhook_endpoint* ep : endpoints_)
        if (endpoint.empty() || ep->name() == endpoint) n += ep->retry_all_dead_letters();
    return http_response::json(202, json::serialize(json::object{{"retried", n}}));
}

http_response admin_api::discard(const std::string& id) {
    std::size_t n = 0;
    for (auto& f : list_dead_letters(data_dir_)) {
        std::error_code ec;
        if (f.d.id == id && fs::remove(f.path, ec)) ++n;
    }
    if (n == 0) return http_response::error(404, "no dead letter " + id);
    return ok({{"id", id}, {"deleted", n}});
}

webhook_endpoint* admin_api::find(std::string_view name) const {
    for (webhook_endpoint* ep : endpoints_)
        if (ep->name() == name) return ep;
    return nullptr;
}

}  // namespace araldo::plugins::endpoint_webhook
