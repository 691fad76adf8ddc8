// The core's HTTP listener: one route table served on one or more bound
// addresses (global.server-port, or each of global.listeners), each plain or
// TLS. A route may be limited to some of them by name.
//
// Endpoints register paths through http_registry (plain types, no Beast);
// this is the only place that speaks HTTP/1.1 on the server side.
#pragma once

#include <araldo/http.hpp>
#include <araldo/metrics.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace araldo::detail {

struct listener_limits {
    std::uint32_t max_header_bytes = 16 * 1024;         // larger: 431
    std::chrono::milliseconds request_timeout{30'000};  // whole request read
    std::chrono::milliseconds idle_timeout{60'000};     // keep-alive wait between requests
};

class tls_server_context;

// One address to listen on.
struct listener_binding {
    std::string name = "default";
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;                          // 0 picks a free port
    std::shared_ptr<const tls_server_context> tls;  // null: plain
    std::chrono::milliseconds handshake_timeout{10'000};
};

class http_listener final : public http_registry {
public:
    // `metrics`, if given, counts the requests the listener refuses itself
    // (araldo_http_refused_total{status}); it must outlive the listener.
    http_listener(asio::any_io_executor ex, std::shared_ptr<spdlog::logger> log, listener_limits limits = {},
                  metrics_registry* metrics = nullptr);
    ~http_listener() override;

    using http_registry::add;  // admin routes: refused, they belong to an endpoint's context
    // Served on every listener.
    void add(http_route route) override;
    void add(upgrade_route route) override;
    // Served only on the listeners named in `only` (empty: every one).
    void add(http_route route, std::vector<std::string> only);
    void add(upgrade_route route, std::vector<std::string> only);

    // Withdraws the routes at `path` (plain and upgrade) from every listener:
    // an endpoint removed by a reload. Requests and connections already
    // routed there keep their route until they end.
    void remove(const std::string& path);
    // Whether a route (plain or upgrade) is registered at exactly `path`.
    bool serves(const std::string& path) const;

    // Binds and listens; throws boost::system::system_error on failure.
    // Port 0 picks a free port; port() tells which.
    void bind(const std::string& address, std::uint16_t port);  // a plain listener named "default"
    void bind(listener_binding binding);
    std::uint16_t port() const;  // of the first listener
    std::uint16_t port(const std::string& name) const;

    // New connections on that TLS listener use `ctx` (a certificate
    // renewal); established ones keep the context they started with.
    void replace_tls(const std::string& name, std::shared_ptr<const tls_server_context> ctx);

    // Accepts on every bound listener until stop(); each connection is
    // served by its own coroutine.
    asio::awaitable<void> accept_loop();

    // Stops accepting and closes idle keep-alive connections; requests in
    // progress finish.
    void stop();

    std::uint64_t open_connections() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace araldo::detail
