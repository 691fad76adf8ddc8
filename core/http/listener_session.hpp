// What the listener (accept, routes, stop) shares with its sessions (one per
// connection, in listener_session.cpp). Private to core/http.
#pragma once

#include "http/listener.hpp"

#include <list>
#include <memory>
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
};

// Serves one accepted connection until it closes or is handed to an upgrade route.
void spawn_session(const std::shared_ptr<listener_state>& st, asio::ip::tcp::socket socket);

}  // namespace araldo::detail
