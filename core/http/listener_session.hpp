// What the listener (accept, routes, stop) shares with its sessions (one per
// connection, in listener_session.cpp). Private to core/http.
#pragma once

#include "http/listener.hpp"

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

// Owned jointly by the listener and its sessions, which may outlive it.
struct listener_state {
    listener_state(asio::any_io_executor ex, std::shared_ptr<spdlog::logger> l, listener_limits lim)
        : log{std::move(l)}, limits{lim}, acceptor{std::move(ex)} {}

    std::shared_ptr<spdlog::logger> log;
    listener_limits limits;
    asio::ip::tcp::acceptor acceptor;
    // Shared so a request keeps its route (and handler) alive even if the table
    // changes while the handler runs.
    std::vector<std::shared_ptr<const http_route>> http_routes;
    std::vector<std::shared_ptr<const upgrade_route>> upgrade_routes;
    std::list<session_entry> sessions;  // stable iterators: each session erases its own
    bool stopping = false;
    metrics_registry* metrics = nullptr;
    std::map<unsigned, counter*> refused;  // by status, looked up on first use

    std::uint64_t accept_failures = 0;
    counter* accept_failures_counter = nullptr;
    std::uint64_t handler_faults = 0;  // handlers, upgrade checks and accepts that threw

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

// Serves one accepted connection until it closes or is handed to an upgrade route.
void spawn_session(const std::shared_ptr<listener_state>& st, asio::ip::tcp::socket socket);

}  // namespace araldo::detail
