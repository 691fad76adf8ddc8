// Pushes the series of /metrics to a statsd server (global.statsd): every
// interval, counters as their increase since the last push (|c) and gauges
// as their value (|g), over UDP, never waiting on the server.
#pragma once

#include "config/statsd_config.hpp"
#include "metrics.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace araldo::detail {

// The largest datagram sent: statsd's advice for Ethernet. It fits a 1500-byte
// MTU with IPv6 and UDP headers and room for a tunnel, so no datagram is
// fragmented (one lost fragment would lose every line in it). A single line
// longer than this goes alone.
inline constexpr std::size_t statsd_max_packet = 1432;

// The lines of one push, without sockets: remembers what each counter was at
// the last push, so each push carries the increase since.
class statsd_batch {
public:
    explicit statsd_batch(statsd_config config) : config_(std::move(config)) {}

    // The datagrams for this push, each at most statsd_max_packet bytes
    // (unless one line alone is longer). Counters that did not move are left
    // out: statsd counts an absent counter as 0 for the interval.
    std::vector<std::string> collect(const metrics& registry);

private:
    void add_line(std::vector<std::string>& packets, const std::string& line) const;
    std::string stat_name(std::string_view name, const metric_labels& labels) const;
    std::string tags(const metric_labels& labels) const;

    statsd_config config_;
    std::unordered_map<const araldo::counter*, std::uint64_t> last_;
};

class statsd_sender {
public:
    statsd_sender(boost::asio::any_io_executor ex, statsd_config config, metrics& registry,
                  std::shared_ptr<spdlog::logger> log);

    // Opens the socket and spawns push_loop. A socket that cannot be opened
    // is logged and leaves statsd off: metrics are never a reason not to run.
    void start();
    // Ends push_loop after one last push (the counts of the last interval).
    void stop();

private:
    boost::asio::awaitable<void> push_loop();
    boost::asio::awaitable<void> push();

    statsd_config config_;
    metrics& registry_;
    std::shared_ptr<spdlog::logger> log_;
    boost::asio::ip::udp::socket socket_;
    boost::asio::ip::udp::endpoint server_;
    boost::asio::steady_timer timer_;
    statsd_batch batch_;
    bool stopping_ = false;
    araldo::counter& packets_;
    araldo::counter& errors_;
};

}  // namespace araldo::detail
