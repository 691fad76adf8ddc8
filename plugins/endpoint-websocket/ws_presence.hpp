// client.connected and client.disconnected, when `client-events: true`: who
// came and went, as messages into the endpoint's routes (to a webhook, to
// the clients of a folder). An identity's first connection is announced at
// once; its last one leaving is announced only if it has not come back
// within `offline-after`, so a reconnect storm (a deploy, a flaky network)
// does not become a storm of events. A client without an identity (no JWT
// sub, key or certificate) is its own identity, announced both ways at once.
#pragma once

#include "ws_string_map.hpp"

#include <araldo/units.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

namespace araldo::plugins::endpoint_websocket {

struct presence_event {
    std::string_view type;  // "client.connected" or "client.disconnected"
    std::string_view identity;
    std::string_view folder;  // the identity's own folder, empty: none
    std::uint64_t client;
    std::string_view remote_address;
};

class presence {
public:
    using clock = std::chrono::steady_clock;
    using announce = std::function<void(const presence_event&)>;

    presence(boost::asio::any_io_executor ex, araldo::duration offline_after, announce to);

    void connected(std::string_view identity, std::string_view folder, std::uint64_t client,
                   std::string_view remote_address);
    void disconnected(std::string_view identity, std::string_view folder, std::uint64_t client,
                      std::string_view remote_address);
    void stop();

    std::size_t pending() const noexcept { return queue_.size(); }

private:
    struct state {
        std::size_t connections = 0;
        std::uint64_t generation = 0;  // which queued departure still counts
        std::uint64_t client = 0;      // the last connection's, for the event
        std::string folder, remote_address;
    };
    struct departure {
        clock::time_point due;
        std::string identity;
        std::uint64_t generation;
    };
    void arm();
    void due(clock::time_point now);

    araldo::duration offline_after_;
    announce announce_;
    string_map<state> online_;
    // Every departure waits the same time, so the queue is in due order.
    std::deque<departure> queue_;
    boost::asio::steady_timer timer_;
    bool armed_ = false;
    bool stopped_ = false;
    std::uint64_t next_generation_ = 0;
};

}  // namespace araldo::plugins::endpoint_websocket
