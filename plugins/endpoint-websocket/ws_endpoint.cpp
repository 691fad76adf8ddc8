#include "ws_endpoint.hpp"

#include <araldo/folder.hpp>
#include <araldo/json.hpp>
#include <araldo/log_rate.hpp>

#include "ws_handshake.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <charconv>
#include <stdexcept>

namespace araldo::plugins::endpoint_websocket {

namespace {

constexpr std::size_t read_buffer_size = 64 * 1024;
// Frames per sendmsg(): the kernel's limit (UIO_MAXIOV).
constexpr std::size_t max_iovecs = 1024;

std::uint64_t client_of(const message& msg) {
    const auto v = msg.attributes().get("ws.client");
    std::uint64_t id = 0;
    if (v) std::from_chars(v->data(), v->data() + v->size(), id);
    return id;
}

}  // namespace

ws_endpoint::ws_endpoint(araldo::endpoint_context& ctx, ws_settings settings)
    : ctx_{ctx},
      settings_{std::move(settings)},
      metrics_{ctx},
      read_buffer_(read_buffer_size),
      iovecs_(max_iovecs),
      ping_frame_{make_frame(encode_frame(opcode::ping, {}))},
      run_wake_{ctx.executor()},
      deadline_timer_{ctx.executor()} {
    // The core keeps endpoints alive for the process lifetime, so `this` stays valid.
    araldo::endpoint_gauge(ctx_, "araldo_ws_clients", "WebSocket clients connected",
                           [this] { return static_cast<double>(sessions_.size()); });
    araldo::endpoint_gauge(ctx_, "araldo_ws_queued_bytes", "bytes queued for WebSocket clients", [this] {
        double total = 0;
        for (const auto* s : sessions_) total += static_cast<double>(s->queued_bytes());
        return total;
    });
    if (settings_.folders) folders_ = std::make_unique<folder_hub>(*this);
    if (settings_.client_events)
        presence_ = std::make_unique<presence>(ctx_.executor(), settings_.offline_after,
                                               [this](const presence_event& e) { announce(e); });
    if (settings_.keys_file) {
        key_reload_failures_ = &araldo::endpoint_counter(ctx_, "araldo_keys_reload_failures_total",
                                                         "reloads of the keys file that failed (the keys loaded "
                                                         "before stayed in use)");
        araldo::endpoint_gauge(ctx_, "araldo_keys_active", "keys of the keys file that are not revoked", [this] {
            return keys_ && keys_->current() ? static_cast<double>(keys_->current()->active_count()) : 0.0;
        });
    }
    upgrade_route route;
    route.path = settings_.path;
    route.check = [this](const http_request& req) { return check(req); };
    route.accept = [this](http_upgrade up) { accept(std::move(up)); };
    try {
        ctx_.http().add(std::move(route));
    } catch (const std::invalid_argument& e) {
        ctx_.opts().fail("path", e.what(), "give each WebSocket endpoint its own path");
    }
}

void ws_endpoint::start() {
    if (!settings_.keys_file) return;
    araldo::key_watch_settings watch;
    watch.failures = key_reload_failures_;
    // The core keeps endpoints alive while the event loop runs.
    keys_ = std::make_unique<araldo::key_file_watch>(
        ctx_.executor(), *settings_.keys_file, ctx_.log(),
        [this](std::shared_ptr<const araldo::key_store> keys) { keys_changed(keys); }, watch);
    keys_->start();
}

// A revoked (or removed) key's connections close at once; a key whose
// entry changed gets its new rights, and loses subscriptions it may no
// longer read.
void ws_endpoint::keys_changed(const std::shared_ptr<const araldo::key_store>& keys) {
    for (auto* s : sessions_) {
        const auto id = s->key_id();
        if (id.empty()) continue;
        const auto* entry = keys->find_id(id);
        if (entry == nullptr) {
            ++revocations_;
            ctx_.log().warn("client {} ({}): key {} revoked, closing with 4001", s->id(), s->name(), id);
            s->begin_close(close_code::key_revoked, "key revoked", close_reason::key_revoked, false);
            continue;
        }
        s->rights_changed(std::shared_ptr<const araldo::key_identity>(keys, &entry->identity));
        if (folders_) folders_->rights_changed(*s);
    }
}

auth_result ws_endpoint::authenticate_client(const http_request& req) {
    if (keys_) {
        if (auto by_key = authenticate_key(req, keys_->current())) return std::move(*by_key);
        if (settings_.tokens.empty() && settings_.jwt_secret.empty() && settings_.client_certs.empty()) {
            const auto token = request_token(req);
            return auth_result::fail(token && !token->empty() ? "invalid token" : "missing token");
        }
    }
    return authenticate(req, settings_.tokens, settings_.jwt_secret, settings_.client_certs, wall_clock::now());
}

asio::awaitable<void> ws_endpoint::run() {
    while (!stopping_ || !sessions_.empty()) {
        co_await run_wake_.wait();
    }
}

delivery_result ws_endpoint::deliver(const message_ptr& msg) {
    if (stopping_) return delivery_result::dropped("stopped");
    // Live delivery: nobody to tell, unless a history keeps it for those who come back.
    if (sessions_.empty() && !settings_.history.enabled()) return delivery_result::ok();
    try {
        const std::uint64_t skip = !settings_.echo && msg->source() == ctx_.name() ? client_of(*msg) : 0;
        if (folders_) return folders_->deliver(msg, skip);
        const encoded e = ctx_.marshalling().marshal(msg);
        // A browser fails the whole connection on a text frame that is not
        // UTF-8; such bytes can only go as a binary frame.
        const bool binary = e.binary || !valid_utf8(e.bytes);
        const auto frame = make_frame(encode_frame(binary ? opcode::binary : opcode::text, e.bytes));
        for (auto* s : sessions_)
            if (s->id() != skip) s->push(frame);
    } catch (const std::exception& e) {
        // deliver() must not throw: a marshaller that fails (or memory running
        // out) costs this one message.
        if (const auto n = ++warnings_.encode_failed; araldo::worth_logging(n))
            ctx_.log().warn("message {} not delivered: {} ({} so far)", msg->id(), e.what(), n);
        return delivery_result::dropped("encode_failed");
    }
    return delivery_result::ok();
}

void ws_endpoint::stop() {
    if (stopping_) return;
    stopping_ = true;
    if (folders_) folders_->stop();
    if (keys_) keys_->stop();
    if (presence_) presence_->stop();
    if (!sessions_.empty()) ctx_.log().info("closing {} clients (1001 going away)", sessions_.size());
    for (auto* s : sessions_) s->begin_close(close_code::going_away, "going away", close_reason::shutdown, true);
    run_wake_.notify();
}

void ws_endpoint::set_deadline(ws_session& s, ws_session::clock::time_point due) {
    deadlines_.set(s, due);
    // A later deadline leaves the timer as it is: it fires early, finds
    // nothing due and re-arms, which costs less than re-arming on every move.
    if (deadlines_.earliest() < timer_armed_for_ || deadlines_.empty()) arm_deadline_timer();
}

void ws_endpoint::arm_deadline_timer() {
    using time_point = ws_session::clock::time_point;
    const auto first = deadlines_.earliest();
    if (first == timer_armed_for_) return;
    // Until the wait is pending: if arming throws, the next deadline set arms again.
    timer_armed_for_ = time_point::max();
    if (first == time_point::max()) {
        // No wait is left pending: the event loop may end with the last client.
        deadline_timer_.cancel();  // never fails for a timer
        return;
    }
    deadline_timer_.expires_at(first);  // cancels the wait armed for a later time
    // The core keeps endpoints alive while the event loop runs; a wait still
    // pending when this endpoint goes ends with operation_aborted.
    deadline_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec != asio::error::operation_aborted) deadlines_passed();
    });
    timer_armed_for_ = first;
}

void ws_endpoint::deadlines_passed() {
    timer_armed_for_ = ws_session::clock::time_point::max();
    const auto now = ws_session::clock::now();
    // Taken out first, then handled: handling one sets its next deadline,
    // which may be due already.
    while (auto* s = deadlines_.pop_due(now)) {
        try {
            due_.push_back(s->shared_from_this());
        } catch (...) {
            deadlines_.set(*s, now);  // back where it was, in the room it left: no allocation
            break;
        }
    }
    for (const auto& s : due_) s->deadline_passed();
    due_.clear();
    arm_deadline_timer();
}

void ws_endpoint::session_ended(ws_session& s) noexcept {
    if (folders_) folders_->left(s);
    if (deadlines_.contains(s)) {
        deadlines_.remove(s);
        if (deadlines_.empty()) arm_deadline_timer();
    }
    const std::size_t i = s.index;
    if (i >= sessions_.size() || sessions_[i] != &s) return;
    sessions_[i] = sessions_.back();
    sessions_[i]->index = static_cast<std::uint32_t>(i);
    sessions_.pop_back();
    if (stopping_ && sessions_.empty()) run_wake_.notify();
    // Last: the event may come straight back to this endpoint's clients.
    if (presence_) presence_->disconnected(s.name(), s.own_folder(), s.id(), s.remote_address);
}

void ws_endpoint::announce(const presence_event& e) {
    std::string json = R"({"type":)";
    araldo::append_json_string(json, e.type);
    if (!e.folder.empty()) {
        json += R"(,"folder":)";
        araldo::append_json_string(json, e.folder);
    }
    json += R"(,"parameters":{"identity":)";
    if (e.identity.empty()) json += "null";
    else araldo::append_json_string(json, e.identity);
    json += R"(,"client":")";
    json += std::to_string(e.client);
    json += R"(","folder":)";
    if (e.folder.empty()) json += "null";
    else araldo::append_json_string(json, e.folder);
    json += R"(,"remote_address":)";
    araldo::append_json_string(json, e.remote_address);
    json += "}}";
    araldo::message::fields f;
    f.payload = std::move(json);
    f.attributes.set("type", std::string{e.type});
    if (!e.folder.empty()) f.attributes.set(std::string{araldo::folder_attribute}, std::string{e.folder});
    if (!e.identity.empty()) f.attributes.set("identity", std::string{e.identity});
    f.attributes.set("ws.client", std::to_string(e.client));
    // Rejections (a marshaller that is not JSON-friendly) are counted and logged by ingest().
    ctx_.ingest(std::move(f));
}

std::optional<http_response> ws_endpoint::check(const http_request& req) {
    if (stopping_) {
        metrics_.refuse(refusal::shutting_down);
        return http_response::error(503, "shutting down");
    }
    if (auto bad = check_handshake(req)) {
        metrics_.refuse(refusal::bad_request);
        return bad;
    }
    if (!origin_allowed(req, settings_.allowed_origins)) {
        if (const auto n = metrics_.refuse(refusal::origin); araldo::worth_logging(n))
            ctx_.log().warn("upgrade from {} refused: origin {} not allowed ({} so far)", req.remote_address,
                            req.header("origin").value_or(""), n);
        return http_response::error(403, "origin not allowed");
    }
    if (settings_.auth_required()) {
        const auto a = authenticate_client(req);
        if (!a) {
            if (const auto n = metrics_.refuse(refusal::auth); araldo::worth_logging(n))
                ctx_.log().warn("upgrade from {} refused: {} ({} so far)", req.remote_address, a.reason(), n);
            auto r = http_response::error(401, a.reason());
            r.headers.emplace_back("WWW-Authenticate", "Bearer");
            return r;
        }
    }
    if (sessions_.size() >= settings_.max_clients) {
        if (const auto n = metrics_.refuse(refusal::max_clients); araldo::worth_logging(n))
            ctx_.log().warn("upgrade from {} refused: max-clients ({}) reached ({} so far)", req.remote_address,
                            settings_.max_clients, n);
        return http_response::error(503, "too many clients");
    }
    return std::nullopt;
}

void ws_endpoint::accept(http_upgrade up) {
    // check() passed just before, on the same request, with no suspension in between.
    auto auth = auth_result::ok({});
    if (settings_.auth_required()) auth = authenticate_client(up.request);
    const auto key = accept_key(up.request.header("sec-websocket-key").value_or(""));
    if (!auth || !key) return;  // the socket closes as `up` goes
    auto who = std::move(auth).value();
    if (up.request.tls) who.tls = araldo::tls_attributes(*up.request.tls);  // empty without a verified peer
    auto s = std::make_shared<ws_session>(*this, std::move(up.socket), std::move(up.tls), ++next_id_, std::move(who),
                                          switching_protocols(*key));
    s->index = static_cast<std::uint32_t>(sessions_.size());
    sessions_.push_back(s.get());
    metrics_.connections.inc();
    ctx_.log().debug("client {} connected from {}", s->id(), up.request.remote_address);
    // Queued behind the 101, before anything the client sent along is read.
    if (folders_) folders_->joined(*s);
    if (presence_) {
        s->remote_address = up.request.remote_address;
        presence_->connected(s->name(), s->own_folder(), s->id(), s->remote_address);
    }
    s->start(up.buffered);
}

void ws_endpoint::schedule_flush(std::shared_ptr<ws_session> s) {
    to_flush_.push_back(std::move(s));
    if (flush_posted_) return;
    flush_posted_ = true;
    // The core keeps endpoints alive for the process lifetime, so `this` stays valid.
    asio::post(ctx_.executor(), [this] { flush_sessions(); });
}

void ws_endpoint::flush_sessions() {
    flush_posted_ = false;
    // Walk a list nothing appends to meanwhile; both keep their capacity.
    flushing_.swap(to_flush_);
    for (const auto& s : flushing_) s->flush();
    flushing_.clear();
}

bool ws_endpoint::reconfigure(const araldo::options& next) {
    ws_settings candidate = read_ws_settings(next, ctx_.global());
    if (without_live_changes(candidate, settings_) != settings_) return false;
    // Connections already open keep going: they were let in by the rules of
    // their time, and a client's frame limit is its parser's.
    settings_ = std::move(candidate);
    return true;
}

std::unique_ptr<araldo::endpoint> make_ws_endpoint(araldo::endpoint_context& ctx) {
    return std::make_unique<ws_endpoint>(ctx, read_ws_settings(ctx.opts(), ctx.global()));
}

}  // namespace araldo::plugins::endpoint_websocket
