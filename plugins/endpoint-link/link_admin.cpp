// What an operator sees of the links: metrics, the admin list, health.
#include "link_endpoint.hpp"

#include <araldo/json.hpp>
#include <araldo/log_rate.hpp>
#include <araldo/time.hpp>

#include <spdlog/spdlog.h>

namespace araldo::plugins::endpoint_link {

void link_endpoint::register_metrics() {
    auto& c = ctx_;
    messages_in_ =
        &araldo::endpoint_counter(c, "araldo_link_messages_total", "Frames over links", {{"direction", "in"}});
    messages_out_ =
        &araldo::endpoint_counter(c, "araldo_link_messages_total", "Frames over links", {{"direction", "out"}});
    bytes_in_ =
        &araldo::endpoint_counter(c, "araldo_link_bytes_total", "Frame bytes over links", {{"direction", "in"}});
    bytes_out_ =
        &araldo::endpoint_counter(c, "araldo_link_bytes_total", "Frame bytes over links", {{"direction", "out"}});
    reconnects_ =
        &araldo::endpoint_counter(c, "araldo_link_reconnects_total", "Client: dials after a failure or a lost link");
    dial_failures_ =
        &araldo::endpoint_counter(c, "araldo_link_dial_failures_total", "Client: attempts that did not link");
    replaced_ = &araldo::endpoint_counter(c, "araldo_link_replaced_total",
                                          "Hub: links closed because the same peer connected again");
    refused_ = &araldo::endpoint_counter(c, "araldo_link_refused_total",
                                         "Hub: upgrades refused for want of a verified client certificate");
    for (const char* reason :
         {"no_link", "queue_full", "malformed", "late_reply", "reply_link_gone", "handshake_failed"})
        dropped(reason);
    for (const char* outcome : {"answered", "timeout", "lost", "refused"}) requests(outcome);
    araldo::endpoint_gauge(c, "araldo_link_requests_pending", "Requests sent over a link and not answered yet",
                           [this] { return static_cast<double>(pending_.size()); });
}

void link_endpoint::watch_peer(const std::string& peer) {
    if (!watched_peers_.insert(peer).second) return;
    araldo::endpoint_gauge(ctx_, "araldo_link_up", "1 while the link to this peer is up",
                           [this, peer] { return live(peer) ? 1.0 : 0.0; }, {{"peer", peer}});
    araldo::endpoint_gauge(ctx_, "araldo_link_heartbeat_rtt_seconds", "The last heartbeat's round trip",
                           [this, peer] {
                               auto it = rtt_.find(peer);
                               return it == rtt_.end() ? 0.0 : std::chrono::duration<double>(it->second).count();
                           },
                           {{"peer", peer}});
}

araldo::counter& link_endpoint::dropped(std::string_view reason) {
    auto it = drops_.find(reason);
    if (it != drops_.end()) return *it->second;
    auto& c = araldo::endpoint_counter(ctx_, "araldo_link_dropped_total", "Frames dropped, by reason",
                                       {{"reason", std::string(reason)}});
    drops_.emplace(std::string(reason), &c);
    return c;
}

araldo::counter& link_endpoint::requests(std::string_view outcome) {
    auto it = requests_.find(outcome);
    if (it != requests_.end()) return *it->second;
    auto& c = araldo::endpoint_counter(ctx_, "araldo_link_requests_total",
                                       "Requests sent over a link, by outcome (answered, timeout, lost, refused)",
                                       {{"outcome", std::string(outcome)}});
    requests_.emplace(std::string(outcome), &c);
    return c;
}

araldo::counter& link_endpoint::disconnects(std::string_view how) {
    auto it = disconnects_.find(how);
    if (it != disconnects_.end()) return *it->second;
    auto& c = araldo::endpoint_counter(ctx_, "araldo_link_disconnects_total",
                                       "Links that ended, by how: closed (by this relay), closed_by_peer, too_big "
                                       "(1009), heartbeat (timed out), protocol, error",
                                       {{"how", std::string(how)}});
    disconnects_.emplace(std::string(how), &c);
    return c;
}

void link_endpoint::warn(araldo::counter& c, const std::string& what) {
    c.inc();
    if (araldo::worth_logging(c.value())) ctx_.log().warn("{} ({} so far)", what, c.value());
}

void link_endpoint::register_admin() {
    araldo::admin_route r;
    r.path = "links";
    r.methods = {"GET"};
    r.handler = [this](araldo::admin_request) -> asio::awaitable<araldo::http_response> {
        co_return araldo::http_response::json(200, links_json());
    };
    ctx_.http().add(std::move(r));
}

std::string link_endpoint::links_json() const {
    std::string out = "[";
    for (const auto& [peer, conn] : links_) {
        if (out.size() > 1) out += ',';
        out += R"({"peer":)" + araldo::json_quote(conn->peer) + R"(,"cn":)" + araldo::json_quote(conn->cn) +
               R"(,"remote":)" + araldo::json_quote(conn->remote) + R"(,"since":)" +
               araldo::json_quote(araldo::format_utc(conn->since)) + R"(,"messages_in":)" +
               std::to_string(conn->messages_in) + R"(,"messages_out":)" + std::to_string(conn->messages_out) +
               R"(,"pending":)" + std::to_string(pending_.count(conn->serial)) + "}";
    }
    return out + "]";
}

std::vector<std::string> link_endpoint::health() const {
    if (settings_.role != link_role::client || live(settings_.peer_name)) return {};
    return {"link to " + settings_.url + " down since " + araldo::format_utc(down_since_) + ": " + last_error_};
}

}  // namespace araldo::plugins::endpoint_link
