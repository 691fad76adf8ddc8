#include "link_endpoint.hpp"

#include <araldo/json.hpp>
#include <araldo/log_rate.hpp>
#include <araldo/time.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace araldo::plugins::endpoint_link {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

link_endpoint::link_endpoint(araldo::endpoint_context& ctx, link_settings settings)
    : ctx_(ctx),
      settings_(std::move(settings)),
      stopped_(ctx.executor()),
      backoff_timer_(ctx.executor()),
      sweep_timer_(ctx.executor()),
      random_(std::random_device{}()),
      down_since_(std::chrono::system_clock::now()) {
    register_metrics();
    register_admin();
    if (settings_.role == link_role::server) {
        araldo::upgrade_route route;
        route.path = settings_.accept_path;
        route.check = [this](const araldo::http_request& req) { return check_upgrade(req); };
        route.accept = [this](araldo::http_upgrade up) { accept(std::move(up)); };
        ctx_.http().add(std::move(route));
    } else {
        watch_peer(settings_.peer_name);
    }
}

link_endpoint::~link_endpoint() = default;

void link_endpoint::start() {
    if (settings_.role != link_role::client) return;
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    araldo::configure_tls_client(*tls_, settings_.tls.value_or(araldo::tls_client_config{}));
}

asio::awaitable<void> link_endpoint::run() {
    const auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, sweep_loop(), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
    if (settings_.role == link_role::client) {
        co_await dial_loop();
    } else {
        while (!stopping_) co_await stopped_.wait();
    }
    // Let the links close politely (their writers send what is queued
    // first), but not for longer than a far side that does not answer is worth.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (running_ > 0 && std::chrono::steady_clock::now() < give_up) {
        backoff_timer_.expires_after(std::chrono::milliseconds(20));
        co_await backoff_timer_.async_wait(use_tuple);
    }
    for (auto& [peer, conn] : links_) conn->abort();
    sweep_timer_.cancel();
}

void link_endpoint::stop() {
    if (stopping_) return;
    stopping_ = true;
    for (auto& [peer, conn] : links_) conn->close(1001, "relay shutting down");
    if (auto c = dialing_.lock(); c && !c->since.time_since_epoch().count()) c->abort();  // still dialling
    backoff_timer_.cancel();
    stopped_.notify();
}

asio::awaitable<void> link_endpoint::dial_loop() {
    unsigned attempt = 0;
    while (!stopping_) {
        auto dialled = co_await dial(ctx_.executor(), *tls_, settings_, dialing_);
        if (stopping_) break;
        if (dialled) {
            attempt = 0;
            connection_ptr conn = std::move(dialled).value();
            conn->serial = next_serial_++;
            co_await serve(conn);
        } else {
            last_error_ = dialled.reason();
            dial_failures_->inc();
            if (araldo::worth_logging(dial_failures_->value()))
                ctx_.log().warn("cannot link to {}: {} (attempt {}, {} failures so far)", settings_.url, last_error_,
                                attempt + 1, dial_failures_->value());
        }
        if (stopping_) break;
        const auto wait = araldo::backoff_delay(settings_.reconnect, attempt++, random_);
        backoff_timer_.expires_after(wait);
        co_await backoff_timer_.async_wait(use_tuple);
        if (!stopping_) reconnects_->inc();
    }
}

asio::awaitable<void> link_endpoint::serve(connection_ptr conn) {
    ++running_;
    connected(conn);
    connection_events events;
    events.on_frame = [this](link_connection& c, std::string_view bytes) { on_frame(c, bytes); };
    events.on_rtt = [this](link_connection& c, std::chrono::steady_clock::duration rtt) { rtt_[c.peer] = rtt; };
    std::string why;
    try {
        why = co_await conn->run(std::move(events));
    } catch (const std::exception& e) {
        why = std::string("failed: ") + e.what();
    }
    disconnected(conn, why);
    --running_;
}

asio::awaitable<void> link_endpoint::sweep_loop() {
    // Once a second is plenty: the caller answers its own deadline; this only
    // frees what a far side never answered.
    while (!stopping_ || pending_.size() > 0) {
        sweep_timer_.expires_after(std::chrono::seconds(1));
        auto [ec] = co_await sweep_timer_.async_wait(use_tuple);
        if (ec && stopping_) break;
        for (auto& path : pending_.take_expired(araldo::reply_path::clock::now())) {
            requests("timeout").inc();
            path->answer(araldo::reply::error(504, "no answer over the link before the deadline"));
        }
    }
}

std::optional<araldo::http_response> link_endpoint::check_upgrade(const araldo::http_request& req) {
    if (stopping_) return araldo::http_response::error(503, "shutting down");
    if (!req.tls || !req.tls->peer) {
        refused_->inc();
        if (araldo::worth_logging(refused_->value()))
            ctx_.log().warn("link refused from {}: no verified client certificate ({} refused so far)",
                            req.remote_address, refused_->value());
        return araldo::http_response::error(403, "a link needs a verified client certificate");
    }
    return std::nullopt;
}

std::string link_endpoint::peer_of(const araldo::tls_peer& peer) const {
    for (const auto& [cn, name] : settings_.peers)
        if (cn == peer.cn) return name;
    return peer.cn;
}

void link_endpoint::accept(araldo::http_upgrade up) {
    // check_upgrade() ran just before on the same request: tls and peer are there.
    const auto& info = *up.request.tls;
    std::string cn = info.peer->cn;
    std::string peer = peer_of(*info.peer);
    auto handshake = [this, cn = std::move(cn), peer = std::move(peer),
                      up = std::move(up)]() mutable -> asio::awaitable<void> {
        auto accepted = co_await accept_upgrade(std::move(up), settings_);
        if (!accepted) {
            warn(dropped("handshake_failed"), "link from " + peer + " (" + cn + ") failed: " + accepted.reason());
            co_return;
        }
        connection_ptr conn = std::move(accepted).value();
        conn->serial = next_serial_++;
        conn->cn = cn;
        conn->peer = peer;
        if (stopping_) {
            conn->close(1001, "relay shutting down");
        } else if (auto old = links_.find(conn->peer); old != links_.end()) {
            replaced_->inc();
            // Two machines sharing one certificate replace each other for good: rate-limited.
            if (araldo::worth_logging(replaced_->value()))
                ctx_.log().warn("link {} ({}): a new connection from {} replaces the one from {} since {} ({} so far)",
                                conn->peer, conn->cn, conn->remote, old->second->remote,
                                araldo::format_utc(old->second->since), replaced_->value());
            old->second->close(close_replaced, "replaced by a newer connection from the same peer");
            links_.erase(old);
        }
        co_await serve(std::move(conn));
    };
    asio::co_spawn(ctx_.executor(), std::move(handshake), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
}

void link_endpoint::connected(const connection_ptr& conn) {
    if (!stopping_) links_[conn->peer] = conn;
    watch_peer(conn->peer);
    // A link that flaps (two machines sharing a certificate, a hub that
    // drops it at once) must not flood the log: up and down are rate-limited.
    if (araldo::worth_logging(++links_up_))
        ctx_.log().info("link {} up: {} ({}), connection {} ({} links made so far)", conn->peer, conn->remote,
                        conn->cn.empty() ? "no CN" : conn->cn, conn->serial, links_up_);
    emit_state("link.connected", *conn, {});
}

void link_endpoint::disconnected(const connection_ptr& conn, const std::string& why) {
    auto it = links_.find(conn->peer);
    const bool was_live = it != links_.end() && it->second == conn;
    if (was_live) links_.erase(it);
    const auto lost = pending_.take_connection(conn->serial);
    for (const auto& path : lost) {
        requests("lost").inc();
        path->answer(araldo::reply::error(503, "link to " + conn->peer + " lost"));
    }
    last_error_ = why;
    auto& ended = disconnects(conn->ended_as);
    ended.inc();
    if (settings_.role == link_role::client) down_since_ = std::chrono::system_clock::now();
    if (araldo::worth_logging(ended.value()) || !lost.empty())
        ctx_.log().warn("link {} down: {} (connection {}, {} requests answered 503; {} ended so far)", conn->peer, why,
                        conn->serial, lost.size(), ended.value());
    if (was_live || settings_.role == link_role::client) emit_state("link.disconnected", *conn, why);
}

void link_endpoint::emit_state(std::string_view type, const link_connection& conn, std::string_view reason) {
    if (stopping_) return;  // nothing routes while the relay stops
    std::string json = R"({"type":)" + araldo::json_quote(type) + R"(,"parameters":{"peer":)" +
                       araldo::json_quote(conn.peer) + R"(,"since":)" +
                       araldo::json_quote(araldo::format_utc(conn.since));
    if (!conn.cn.empty()) json += R"(,"cn":)" + araldo::json_quote(conn.cn);
    json += R"(,"remote":)" + araldo::json_quote(conn.remote);
    if (!reason.empty()) json += R"(,"reason":)" + araldo::json_quote(reason);
    json += "}}";
    araldo::message::fields f;
    f.payload = std::move(json);
    f.attributes.set("type", std::string(type));
    f.attributes.set(std::string(peer_attribute), conn.peer);
    ctx_.ingest(std::move(f));
}

std::unique_ptr<araldo::endpoint> make_link_endpoint(araldo::endpoint_context& ctx) {
    return std::make_unique<link_endpoint>(ctx, read_link_settings(ctx.opts(), ctx.global()));
}

}  // namespace araldo::plugins::endpoint_link
