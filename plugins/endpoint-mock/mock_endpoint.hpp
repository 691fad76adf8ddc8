// endpoint-mock: the test endpoint. It ingests configured payloads when it
// starts and records what the router delivers to it.
//
// Public header: in-process tests dynamic_cast an endpoint to mock_endpoint and
// read received(). Every virtual function is defined here, inline, so the class
// has no key function: a test that includes this header emits its own
// type_info, and the dynamic_cast matches the plugin's by name (libstdc++
// compares type names), without linking to the plugin module.
#pragma once

#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/export.hpp>
#include <araldo/message.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mock_options.hpp"
#include "mock_requests.hpp"

namespace araldo::plugins::endpoint_mock {

inline constexpr std::string_view plugin_id = "endpoint-mock";

// Owned by the core like any endpoint; holds a reference to its context, which
// the core keeps alive longer. Single-threaded: call it on the core thread.
class ARALDO_EXPORT mock_endpoint final : public araldo::endpoint {
public:
    mock_endpoint(araldo::endpoint_context& ctx, mock_settings settings);
    ~mock_endpoint() override = default;

    // Ingests the `inject` payloads, then waits for stop().
    asio::awaitable<void> run() override { return run_loop(); }
    // Records the message and logs it, then treats a request as `requests`
    // says; dropped("stopped") after stop().
    delivery_result deliver(const message_ptr& msg) override {
        const auto r = record(msg);
        if (r.accepted) responder_.take(msg);
        return r;
    }
    void stop() override { request_stop(); }
    std::vector<std::string> health() const override { return settings_.problems; }

    // The last `record-limit` messages delivered, oldest first. A request is
    // kept as a copy without its reply_path: the record must not hold a
    // request open.
    const std::deque<message_ptr>& received() const noexcept { return received_; }
    // Every message delivered and accepted, including those no longer kept.
    std::uint64_t received_total() const noexcept { return total_; }
    bool stopping() const noexcept { return stopping_; }
    const std::string& name() const { return ctx_.name(); }

private:
    asio::awaitable<void> run_loop();
    asio::awaitable<void> inject_all();
    asio::awaitable<void> pause_between_injections();
    delivery_result record(const message_ptr& msg);
    void request_stop();

    araldo::endpoint_context& ctx_;
    mock_settings settings_;
    asio::steady_timer wake_;  // the injection interval, then parked until stop()
    mock_responder responder_;
    std::deque<message_ptr> received_;
    std::uint64_t total_ = 0;
    bool stopping_ = false;
};

// The factory: reads the options and builds the endpoint.
std::unique_ptr<araldo::endpoint> make_mock_endpoint(araldo::endpoint_context& ctx);

}  // namespace araldo::plugins::endpoint_mock
