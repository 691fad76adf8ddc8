// endpoint-upstream: answers request messages (those with a reply_to) by
// forwarding each to one HTTP service and replying with its response.
//
// A request takes a free connection slot at once (at most max-connections in
// progress, each a coroutine of its own) or waits in a bounded queue; the
// coroutine that finishes one takes the next waiting request on the same
// slot, so its kept-alive connection is reused. A full queue is answered 503.
//
// Construction only reads the options (`--check` constructs and never
// starts); start() loads the TLS files.
#pragma once

#include "upstream_client.hpp"
#include "upstream_options.hpp"
#include "upstream_request.hpp"

#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/metrics.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_upstream {

// Owned by the core; keeps a reference to its context, which outlives it.
class upstream_endpoint final : public araldo::endpoint {
public:
    upstream_endpoint(araldo::endpoint_context& ctx, upstream_settings settings);

    void start() override;
    asio::awaitable<void> run() override;
    delivery_result deliver(const message_ptr& msg) override;
    void stop() override;
    std::vector<std::string> health() const override;

private:
    // A request accepted for forwarding; the message keeps the body and the reply_path.
    struct job {
        message_ptr msg;
        upstream_call call;
    };

    void begin(std::size_t slot, job j);
    void release(std::size_t slot);
    std::optional<job> next_waiting();
    asio::awaitable<void> serve(std::size_t slot, job first);
    asio::awaitable<void> forward(std::size_t slot, job j);
    void settle(const job& j, upstream_outcome outcome);
    delivery_result refuse(const message& msg, std::string_view reason, araldo::reply r);
    void count_drop(std::string_view reason, const message& msg, std::string_view detail);

    araldo::endpoint_context& ctx_;
    upstream_settings settings_;
    upstream_client client_;
    std::deque<job> waiting_;
    std::vector<std::size_t> free_slots_;  // the most recently freed last: its connection is the warmest
    std::size_t in_flight_ = 0;
    asio::steady_timer done_;  // run() waits here until stopped and idle
    bool started_ = false;
    bool stopping_ = false;

    // For health: the last exchange failed, since when and why.
    bool failing_ = false;
    std::string failing_since_;
    std::string last_error_;
    std::uint64_t errors_in_a_row_ = 0;

    std::uint64_t opened_seen_ = 0;
    std::map<std::string, std::uint64_t, std::less<>> drops_seen_;  // for araldo::worth_logging, per reason
    std::uint64_t upstream_errors_seen_ = 0;
    std::map<std::string, araldo::counter*, std::less<>> requests_by_outcome_;
    std::map<std::string, araldo::counter*, std::less<>> dropped_by_reason_;
    araldo::counter& connections_opened_;
};

std::unique_ptr<araldo::endpoint> make_upstream_endpoint(araldo::endpoint_context& ctx);

}  // namespace araldo::plugins::endpoint_upstream
