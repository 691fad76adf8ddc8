// endpoint-websocket: browsers and other WebSocket clients on a path of the
// core's listener. Messages from a client are ingested with the client's id as
// attribute ws.client; a message routed here is encoded once, framed once and
// the one frame buffer is queued to every client.
#pragma once

#include "ws_folders.hpp"
#include "ws_metrics.hpp"
#include "ws_options.hpp"
#include "ws_presence.hpp"
#include "ws_session.hpp"

#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/http.hpp>
#include <araldo/keys.hpp>
#include <araldo/wakeup.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

inline constexpr std::string_view plugin_id = "endpoint-websocket";

// Owned by the core, which keeps it alive as long as any session's handler.
class ws_endpoint final : public araldo::endpoint {
public:
    ws_endpoint(araldo::endpoint_context& ctx, ws_settings settings);

    void start() override;
    asio::awaitable<void> run() override;
    delivery_result deliver(const message_ptr& msg) override;
    void stop() override;
    // Credentials, origins and limits change in place (new connections see
    // them); anything else needs a restart.
    bool reconfigure(const araldo::options& next) override;

    // For sessions.
    araldo::endpoint_context& ctx() const noexcept { return ctx_; }
    const ws_settings& settings() const noexcept { return settings_; }
    ws_metrics& metrics() noexcept { return metrics_; }
    // One read buffer for every session: a session parses all it read before
    // control returns to the event loop, so no other session can be using it.
    std::vector<char>& read_buffer() noexcept { return read_buffer_; }
    // One gather list for every session's writes, for the same reason.
    std::vector<iovec>& iovecs() noexcept { return iovecs_; }
    const frame_ptr& ping_frame() const noexcept { return ping_frame_; }
    // Flushes the session after the current turn of the event loop, together
    // with every other session that asked during it.
    void schedule_flush(std::shared_ptr<ws_session> s);
    bool stopping() const noexcept { return stopping_; }
    // Folder mode's state; null without `folders: true`.
    folder_hub* folders() noexcept { return folders_.get(); }
    // Runs s.deadline_passed() at `due`, instead of at the deadline it had;
    // time_point::max(): never.
    void set_deadline(ws_session& s, ws_session::clock::time_point due);
    // Forgets the session, and its deadline.
    void session_ended(ws_session& s) noexcept;
    // How often each kind of per-client warning has come up, for
    // araldo::worth_logging: one count per kind, so a flood of one kind never
    // hides the first of another.
    struct warning_counts {
        std::uint64_t encode_failed = 0, protocol = 0, slow_consumer = 0, pong_timeout = 0;
    };
    warning_counts& warnings() noexcept { return warnings_; }

private:
    std::optional<http_response> check(const http_request& req);
    void accept(http_upgrade upgrade);
    void flush_sessions();
    void arm_deadline_timer();
    void deadlines_passed();
    void announce(const presence_event& e);
    // Every credential configured; a key first, when there is a keys file.
    auth_result authenticate_client(const http_request& req);
    void keys_changed(const std::shared_ptr<const araldo::key_store>& keys);

    araldo::endpoint_context& ctx_;
    ws_settings settings_;
    ws_metrics metrics_;
    std::vector<ws_session*> sessions_;
    std::uint64_t next_id_ = 0;
    std::vector<char> read_buffer_;
    std::vector<iovec> iovecs_;
    frame_ptr ping_frame_;
    araldo::wakeup run_wake_;  // parks run() until stop() and the last session ends
    bool stopping_ = false;
    warning_counts warnings_;
    std::unique_ptr<folder_hub> folders_;
    std::unique_ptr<presence> presence_;
    std::unique_ptr<araldo::key_file_watch> keys_;
    araldo::counter* key_reload_failures_ = nullptr;
    std::uint64_t revocations_ = 0;  // connections closed for a revoked key
    // Every session's next deadline, and one timer armed for the earliest of
    // them (or earlier: a deadline moved later does not re-arm it, the timer
    // then fires early and finds nothing due).
    deadline_heap<ws_session> deadlines_;
    asio::steady_timer deadline_timer_;
    ws_session::clock::time_point timer_armed_for_ = ws_session::clock::time_point::max();
    // Last, so that sessions they still hold at destruction find the rest alive.
    std::vector<std::shared_ptr<ws_session>> to_flush_;
    std::vector<std::shared_ptr<ws_session>> flushing_;  // to_flush_'s spare: both keep their capacity
    std::vector<std::shared_ptr<ws_session>> due_;       // the sessions whose deadline is being handled
    bool flush_posted_ = false;
};

std::unique_ptr<araldo::endpoint> make_ws_endpoint(araldo::endpoint_context& ctx);

}  // namespace araldo::plugins::endpoint_websocket
