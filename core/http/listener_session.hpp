// What the listener (accept, routes, stop) shares with its sessions (one per
// connection, in listener_session.cpp). Private to core/http.
#pragma once

#include "http/listener.hpp"
#include "http/tls_server.hpp"

#include <algorithm>
#include <chrono>

#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace araldo::detail {

struct session_entry {
    asio::ip::tcp::socket* socket;
    bool idle = false;  // waiting for the first byte of a request: stop() may close it
};

// A route and the listeners that serve it (empty: all).
template <class Route>
struct served {
    std::shared_ptr<const Route> route;
    std::vector<std::string> only;
    bool on(const std::string& listener) const {
        return only.empty() || std::find(only.begin(), only.end(), listener) != only.end();
    }
};

// One bound address: a name, an acceptor, and TLS when configured.
struct listening_port {
    listening_port(std::string n, asio::any_io_executor ex) : name{std::move(n)}, acceptor{std::move(ex)} {}
    std::string name;
    asio::ip::tcp::acceptor acceptor;
    std::shared_ptr<const tls_server_context> tls;  // replaced by a reload; null: plain
    std::chrono::milliseconds handshake_timeout{10'000};
    bool record_layer_logged = false;  // kTLS or not, said once per listener
};

// Owned jointly by the listener and its sessions, which may outlive it.
struct listener_state {
    listener_state(asio::any_io_executor ex, std::shared_ptr<spdlog::logger> l, listener_limits lim)
        : log{std::move(l)}, limits{lim}, executor{std::move(ex)} {}

    std::shared_ptr<spdlog::logger> log;
    listener_limits limits;
    asio::any_io_executor executor;
    std::vector<std::unique_ptr<listening_port>> ports;
    // Shared so a request keeps its route (and handler) alive even if the table
    // changes while the handler runs.
    std::vector<served<http_route>> http_routes;
    std::vector<served<upgrade_route>> upgrade_routes;
    std::list<session_entry> sessions;  // stable iterators: each session erases its own
    bool stopping = false;
    metrics_registry* metrics = nullptr;
    std::map<unsigned, counter*> refused;  // by status, looked up on first use

    std::uint64_t accept_failures = 0;
    counter* accept_failures_counter = nullptr;
    std::uint64_t handler_faults = 0;  // handlers, upgrade checks and accepts that threw
    std::uint64_t handshake_failures = 0;

    // Counts a failed TLS handshake; returns the running count, for
    // worth_logging(). The registry finds the reason's series itself: a
    // failed handshake costs far more than that lookup.
    std::uint64_t count_handshake_failure(const std::string& reason) {
        if (metrics != nullptr)
            metrics->counter("araldo_tls_handshake_failures_total", {{"reason", reason}},
                             "TLS handshakes on the listeners that failed, by reason")
                .inc();
        return ++handshake_failures;
    }

    // Counts a failed accept (EMFILE and the like); returns the running count,
    // for worth_logging().
    std::uint64_t count_accept_failure() {
        if (metrics != nullptr && accept_failures_counter == nullptr)
            accept_failures_counter = &metrics->counter("araldo_http_accept_errors_total", {},
                                                        "connections the core listener failed to accept (EMFILE...)");
        if (accept_failures_counter != nullptr) accept_failures_counter->inc();
        return ++accept_failures;
    }

    // Counts a request the listener answered itself with an error status.
    void count_refusal(unsigned status) {
        if (metrics == nullptr) return;
        auto& c = refused[status];
        if (c == nullptr)
            c = &metrics->counter("araldo_http_refused_total", {{"status", std::to_string(status)}},
                                  "requests the core listener refused before any handler (bad, too large, no route)");
        c->inc();
    }
};

// Serves one accepted connection until it closes or is handed to an upgrade
// route; on a TLS port, after the handshake.
void spawn_session(const std::shared_ptr<listener_state>& st, listening_port& port, asio::ip::tcp::socket socket);

}  // namespace araldo::detail
