// endpoint-redis: Redis Pub/Sub in and out.
//
// Two connections, each with its own reconnect loop: the subscriber
// (SUBSCRIBE/PSUBSCRIBE, every message ingested) and the publisher (messages
// routed here are PUBLISHed, pipelined: one writer batches everything queued
// into one write, one reader matches the replies in order). The protocol logic
// lives in resp.hpp and subscriber_fsm.hpp; this class does the I/O, the
// reconnects and the bookkeeping.
#pragma once

#include "echo_filter.hpp"
#include "redis_options.hpp"
#include "redis_stream.hpp"
#include "resp.hpp"
#include "subscriber_fsm.hpp"

#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/marshaller.hpp>
#include <araldo/metrics.hpp>
#include <araldo/outbound_queue.hpp>
#include <araldo/result.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_redis {

inline constexpr std::string_view plugin_id = "endpoint-redis";

// One of the two connections: its state for health(), logs and backoff.
struct link_status {
    std::string role;  // "subscriber" or "publisher"
    bool used = false;
    bool up = false;
    std::string reason = "not connected yet";
    std::chrono::system_clock::time_point since;  // when it went down
    // Failed attempts since the link was last up, counted by reason for
    // araldo::worth_logging: each reason has its own count, so failures that
    // alternate (a reset, a close, a reset) never hide one another.
    std::vector<std::pair<std::string, std::uint64_t>> failures;
    unsigned attempt = 0;  // failures since the last good connection
    araldo::counter* connects = nullptr;
};

// Owned by the core; keeps a reference to its context, which outlives it.
class redis_endpoint final : public araldo::endpoint {
public:
    // Prepares only: no socket, no file (`--check` constructs and never starts).
    redis_endpoint(araldo::endpoint_context& ctx, redis_settings settings);

    void start() override;
    asio::awaitable<void> run() override;
    delivery_result deliver(const message_ptr& msg) override;
    void stop() override;
    std::vector<std::string> health() const override;

private:
    // Connection plumbing shared by both links (redis_endpoint.cpp).
    asio::awaitable<araldo::result<>> open_connection(const link_status& link, redis_stream& stream,
                                                      resp_reader& reader, const std::string& more_commands);
    // Reads into `buf` (sized on first use) and feeds the reader; fails with
    // why the connection is unusable.
    asio::awaitable<araldo::result<>> read_more(const link_status& link, redis_stream& stream, resp_reader& reader,
                                                std::vector<char>& buf);
    // Counts and logs (rate-limited) a reply stream that broke the protocol or
    // the reader's bounds; returns the reason the connection is dropped.
    std::string protocol_failure(const link_status& link, const resp_protocol_error& e);
    asio::awaitable<void> backoff(link_status& link);
    asio::awaitable<void> wait_stopped();
    void came_up(link_status& link, std::string_view detail);
    void went_down(link_status& link, std::string reason);

    // The subscriber (subscriber_link.cpp).
    asio::awaitable<void> subscribe_loop();
    asio::awaitable<std::string> subscriber_session();
    bool take_replies(resp_reader& reader, std::string& failure);
    void on_message(subscriber_event& e);
    // The folder the `folder` template makes of a channel; false (counted,
    // logged) when it is not a valid folder.
    bool folder_for(const std::string& channel, araldo::attributes& attrs);

    // The publisher (publisher_link.cpp).
    asio::awaitable<void> publish_loop();
    asio::awaitable<std::string> publisher_session();
    asio::awaitable<void> write_loop();
    asio::awaitable<void> reply_loop(resp_reader& reader);
    void take_publish_reply(const resp_value& reply);
    void end_publisher_session(std::string reason);
    bool publisher_drained() const { return stopping_ && queue_.empty() && in_flight_ == 0; }
    void drop_queue(std::string_view why);
    // deliver() for a templated publish channel.
    delivery_result deliver_templated(const message_ptr& msg);
    // The next queued message's channel (the template's, or the one name).
    const std::string& front_channel() const;
    void pop_front();

    araldo::endpoint_context& ctx_;
    redis_settings settings_;
    std::string where_;  // the URL without credentials, for logs and health
    subscriber_fsm fsm_;
    echo_filter echo_;

    std::optional<asio::ssl::context> tls_context_;  // rediss:// only; made in start(), shared by both links
    redis_stream sub_stream_;
    redis_stream pub_stream_;
    link_status sub_;
    link_status pub_;
    bool stopping_ = false;
    asio::steady_timer stop_signal_;  // never expires; cancelled by stop() to wake every wait
    std::minstd_rand random_;         // seeded in start(): std::random_device may open a device file
    resp_limits limits_;              // what either connection accepts from Redis

    araldo::outbound_queue queue_;        // marshalled, waiting for the publisher (which parks on it)
    std::deque<std::string> channels_;    // beside queue_, its channels, for a templated publish channel
    unsigned echo_copies_ = 0;            // copies of each PUBLISH coming back, for a publish channel name
    std::size_t in_flight_ = 0;           // PUBLISHes written, replies not read yet
    std::string pub_session_end_;         // set when a publisher session ends: why
    std::uint64_t no_publish_drops_ = 0;  // for the warning rate limit
    std::uint64_t publish_errors_logged_ = 0;
    std::uint64_t missing_attribute_drops_ = 0;  // for the warning rate limit

    araldo::counter& received_;
    araldo::counter& published_;
    araldo::counter& publish_errors_;
    araldo::counter& publish_lost_;
    araldo::counter& echo_suppressed_;
    araldo::counter& protocol_errors_;
    araldo::counter& invalid_folders_;
};

// The factory: reads and checks the options, builds the endpoint.
std::unique_ptr<araldo::endpoint> make_redis_endpoint(araldo::endpoint_context& ctx);

}  // namespace araldo::plugins::endpoint_redis
