// endpoint-link: a reconnecting, two-way pipe between two relays. One
// endpoint, two roles: the client dials the hub and keeps the link up for
// good; the hub accepts any number of clients, each known by its verified
// certificate. Events cross it both ways, requests cross it and their answers
// come back (araldo/request.hpp).
//
// Owned by the core; everything on the core thread.
#pragma once

#include "link_connection.hpp"
#include "link_options.hpp"
#include "link_pending.hpp"

#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/metrics.hpp>
#include <araldo/wakeup.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace araldo::plugins::endpoint_link {

inline constexpr std::string_view plugin_id = "endpoint-link";
inline constexpr std::string_view peer_attribute = "link.peer";

class link_endpoint final : public araldo::endpoint {
public:
    link_endpoint(araldo::endpoint_context& ctx, link_settings settings);
    ~link_endpoint() override;

    void start() override;
    asio::awaitable<void> run() override;
    araldo::delivery_result deliver(const araldo::message_ptr& msg) override;
    void stop() override;
    std::vector<std::string> health() const override;

private:
    // link_endpoint.cpp: the two roles' lifecycles
    asio::awaitable<void> dial_loop();
    asio::awaitable<void> serve(connection_ptr conn);
    asio::awaitable<void> sweep_loop();
    std::optional<araldo::http_response> check_upgrade(const araldo::http_request& req);
    void accept(araldo::http_upgrade up);
    std::string peer_of(const araldo::tls_peer& peer) const;
    void connected(const connection_ptr& conn);
    void disconnected(const connection_ptr& conn, const std::string& why);
    void emit_state(std::string_view type, const link_connection& conn, std::string_view reason);

    // link_traffic.cpp: frames both ways
    void on_frame(link_connection& conn, std::string_view bytes);  // one frame, or a batch of them
    void take_frame(link_connection& conn, std::string_view bytes);
    void ingest_message(link_connection& conn, std::string_view bytes, bool request);
    void take_reply(link_connection& conn, std::string_view bytes);
    araldo::delivery_result send_request(const araldo::message_ptr& msg, const connection_ptr& conn);
    araldo::delivery_result send_event(const araldo::message_ptr& msg);
    connection_ptr live(std::string_view peer) const;

    // link_admin.cpp: what an operator sees
    void register_metrics();
    void register_admin();
    void watch_peer(const std::string& peer);
    std::string links_json() const;
    araldo::counter& dropped(std::string_view reason);
    araldo::counter& requests(std::string_view outcome);
    araldo::counter& disconnects(std::string_view how);
    void warn(araldo::counter& c, const std::string& what);

    araldo::endpoint_context& ctx_;
    link_settings settings_;
    std::unique_ptr<asio::ssl::context> tls_;
    std::map<std::string, connection_ptr, std::less<>> links_;  // by peer name: the live one each
    pending_requests pending_;
    std::weak_ptr<link_connection> dialing_;  // client: the attempt under way
    std::uint64_t next_serial_ = 1;
    bool stopping_ = false;
    araldo::wakeup stopped_;
    asio::steady_timer backoff_timer_;
    asio::steady_timer sweep_timer_;
    std::minstd_rand random_;
    // The client's state for health(): down since when, and why.
    std::chrono::system_clock::time_point down_since_;
    std::string last_error_ = "not connected yet";
    unsigned running_ = 0;  // serve() coroutines still running
    std::uint64_t links_up_ = 0;

    std::set<std::string, std::less<>> watched_peers_;
    std::map<std::string, std::chrono::steady_clock::duration, std::less<>> rtt_;
    std::map<std::string, araldo::counter*, std::less<>> drops_;
    std::map<std::string, araldo::counter*, std::less<>> requests_;
    std::map<std::string, araldo::counter*, std::less<>> disconnects_;
    araldo::counter* messages_in_ = nullptr;
    araldo::counter* messages_out_ = nullptr;
    araldo::counter* bytes_in_ = nullptr;
    araldo::counter* bytes_out_ = nullptr;
    araldo::counter* reconnects_ = nullptr;
    araldo::counter* replaced_ = nullptr;
    araldo::counter* refused_ = nullptr;
    araldo::counter* dial_failures_ = nullptr;
};

std::unique_ptr<araldo::endpoint> make_link_endpoint(araldo::endpoint_context& ctx);

}  // namespace araldo::plugins::endpoint_link
