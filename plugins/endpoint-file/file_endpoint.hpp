// endpoint-file: messages as lines, for piping and tests. Routed messages are
// appended to `output`, one per line; each line of `input` is ingested as one
// message.
//
// Two coroutines: read_loop (input → ctx.ingest) and write_loop, the only
// writer of the output, which drains a bounded queue filled by deliver().
// Construction only reads the options; start() opens input and output, so
// `--check` creates no file and never touches the terminal.
#pragma once

#include "file_channel.hpp"
#include "file_lines.hpp"
#include "file_options.hpp"

#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/marshaller.hpp>
#include <araldo/metrics.hpp>
#include <araldo/outbound_queue.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_file {

inline constexpr std::string_view plugin_id = "endpoint-file";

// Owned by the core; keeps a reference to its context, which outlives it.
class file_endpoint final : public araldo::endpoint {
public:
    file_endpoint(araldo::endpoint_context& ctx, file_settings settings);

    // Opens input and output; a failure throws a config error pointing at the option.
    void start() override;
    asio::awaitable<void> run() override;
    delivery_result deliver(const message_ptr& msg) override;
    void stop() override;
    std::vector<std::string> health() const override;

private:
    asio::awaitable<void> read_loop();
    asio::awaitable<void> write_loop();
    asio::awaitable<void> wait_for_foreground();
    void take_line(const line_event& line);
    void input_closed(std::uint64_t lines);
    void output_failed(const error_code& ec, std::size_t lost);
    bool may_warn();

    araldo::endpoint_context& ctx_;
    file_settings settings_;
    std::unique_ptr<file_channel> in_;    // null without `input`, and until start()
    std::unique_ptr<file_channel> out_;   // null without `output`, and until start()
    asio::steady_timer foreground_poll_;  // while the input terminal belongs to another job
    bool in_background_ = false;

    araldo::outbound_queue queue_;  // marshalled, waiting for write_loop (which parks on it)
    bool stopping_ = false;

    std::string input_problem_;  // for health(); empty while fine
    std::string output_problem_;
    std::uint64_t no_output_drops_ = 0;  // for the warning rate limit

    // Input statistics, for the summary at end of input.
    std::uint64_t ingested_ = 0;
    std::uint64_t rejected_ = 0;
    std::uint64_t too_long_ = 0;
    std::uint64_t problem_lines_ = 0;  // rejected or too long, for the warning rate limit

    araldo::counter& lines_in_;
    araldo::counter& lines_out_;
    araldo::counter& lines_lost_;
};

// The factory: reads the options (nothing is opened before start()).
std::unique_ptr<araldo::endpoint> make_file_endpoint(araldo::endpoint_context& ctx);

}  // namespace araldo::plugins::endpoint_file
