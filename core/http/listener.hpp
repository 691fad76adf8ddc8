// The core's one HTTP listener (global.bind:global.server-port).
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

class http_listener final : public http_registry {
public:
    // `metrics`, if given, counts the requests the listener refuses itself
    // (araldo_http_refused_total{status}); it must outlive the listener.
    http_listener(asio::any_io_executor ex, std::shared_ptr<spdlog::logger> log, listener_limits limits = {},
                  metrics_registry* metrics = nullptr);
    ~http_listener() override;

    using http_registry::add;  // admin routes: refused, they belong to an endpoint's context
    void add(http_route route) override;
    void add(upgrade_route route) override;

    // Binds and listens; throws boost::system::system_error on failure.
    // Port 0 picks a free port; port() tells which.
    void bind(const std::string& address, std::uint16_t port);
    std::uint16_t port() const;

    // Accepts until stop(); each connection is served by its own coroutine.
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
