#include "file_endpoint.hpp"

#include <araldo/log_rate.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <system_error>
#include <utility>

namespace araldo::plugins::endpoint_file {

namespace {

constexpr std::size_t read_chunk = 64 * 1024;
// Messages per gather write: 2 buffers each, bounded so one write's vector stays small.
constexpr std::size_t max_batch = 512;
// Lines ingested between two yields to the event loop, so a fast input leaves
// the writers (this endpoint's own included) room to drain their queues.
constexpr unsigned lines_per_yield = 256;
// How often a terminal owned by another job is checked again. No event says a
// job was brought to the foreground (`fg`), and the check is one ioctl.
constexpr std::chrono::seconds foreground_poll{1};

const char newline = '\n';

}  // namespace

file_endpoint::file_endpoint(araldo::endpoint_context& ctx, file_settings settings)
    : ctx_(ctx),
      settings_(std::move(settings)),
      foreground_poll_(ctx.executor()),
      queue_(ctx.executor(), settings_.queue_size),
      lines_in_(araldo::endpoint_counter(ctx, "araldo_file_lines_in_total", "input lines ingested as messages")),
      lines_out_(araldo::endpoint_counter(ctx, "araldo_file_lines_out_total", "messages written to the output")),
      lines_lost_(araldo::endpoint_counter(ctx, "araldo_file_lines_lost_total",
                                           "accepted messages lost because the output failed")) {
    // The core never destroys an endpoint before the process ends: `this` stays valid.
    araldo::endpoint_gauge(ctx, "araldo_endpoint_queue_depth", "messages waiting in the endpoint's outbound queue",
                           [this] { return static_cast<double>(queue_.size()); });
}

void file_endpoint::start() {
    const araldo::options& opts = ctx_.opts();
    auto open = [&](const std::string& option, const std::string& path, file_direction dir) {
        try {
            return std::make_unique<file_channel>(ctx_.executor(), path, dir);
        } catch (const std::system_error& e) {
            std::string what = path != "-" ? path : dir == file_direction::read ? "stdin" : "stdout";
            opts.fail(option, "cannot open " + what + ": " + e.code().message());
        }
    };
    if (settings_.output) out_ = open("output", *settings_.output, file_direction::write);
    if (settings_.input) in_ = open("input", *settings_.input, file_direction::read);
}

asio::awaitable<void> file_endpoint::run() {
    using namespace asio::experimental::awaitable_operators;
    if (in_) {
        // Both end normally: input at EOF or stop(), output after stop() has flushed.
        co_await (read_loop() && write_loop());
    } else {
        co_await write_loop();
    }
}

delivery_result file_endpoint::deliver(const message_ptr& msg) {
    if (stopping_) return delivery_result::dropped("stopped");
    if (!out_) {
        if (araldo::worth_logging(++no_output_drops_))
            ctx_.log().warn("a route delivers to this endpoint, which has no output: dropping ({} so far)",
                            no_output_drops_);
        return delivery_result::dropped("no_output");
    }
    if (!output_problem_.empty()) return delivery_result::dropped("output_error");
    return queue_.offer(ctx_.marshalling(), msg);
}

void file_endpoint::stop() {
    if (stopping_) return;
    stopping_ = true;
    if (in_) in_->cancel();
    foreground_poll_.cancel();
    queue_.notify();  // write_loop flushes what is queued, then returns
}

std::vector<std::string> file_endpoint::health() const {
    std::vector<std::string> problems;
    if (!input_problem_.empty()) problems.push_back(input_problem_);
    if (!output_problem_.empty()) problems.push_back(output_problem_);
    return problems;
}

asio::awaitable<void> file_endpoint::read_loop() {
    std::vector<char> buf(read_chunk);
    line_splitter lines(settings_.max_line);
    unsigned since_yield = 0;
    while (!stopping_) {
        auto [ec, n] = co_await in_->read_some(asio::buffer(buf));
        if (ec == asio::error::eof) {
            if (auto last = lines.finish()) take_line(*last);
            input_closed(lines.lines());
            co_return;
        }
        if (ec == asio::error::operation_aborted) break;
        if (ec == asio::error::try_again) {
            co_await wait_for_foreground();
            continue;
        }
        if (ec) {
            input_problem_ = "reading " + in_->describe() + " failed: " + ec.message();
            ctx_.log().error("{} after {} lines", input_problem_, lines.lines());
            co_return;
        }
        lines.feed(std::string_view(buf.data(), n));
        while (auto line = lines.next()) {
            take_line(*line);
            // The splitter's pending chunk views `buf`, which only this loop
            // touches: it is still intact after the yield.
            if (++since_yield == lines_per_yield) {
                since_yield = 0;
                co_await asio::post(ctx_.executor(), asio::use_awaitable);
                if (stopping_) break;
            }
        }
    }
    ctx_.log().debug("input stopped after {} lines", lines.lines());
}

// The input is a terminal another job owns (`araldo &` from a shell): reading
// it would stop the whole relay with SIGTTIN, and a stopped relay cannot even
// obey SIGTERM. Wait until this job is brought to the foreground instead.
asio::awaitable<void> file_endpoint::wait_for_foreground() {
    if (!in_background_) {
        in_background_ = true;
        ctx_.log().info(
            "not reading {}: the terminal belongs to another job (started with &?); "
            "reading starts if araldo is brought to the foreground",
            in_->describe());
    }
    while (!stopping_ && in_->terminal_in_background()) {
        foreground_poll_.expires_after(foreground_poll);
        co_await foreground_poll_.async_wait(asio::as_tuple(asio::use_awaitable));  // stop() cancels
    }
    if (!stopping_) {
        in_background_ = false;
        ctx_.log().info("{}: araldo is in the terminal's foreground now, reading", in_->describe());
    }
}

void file_endpoint::take_line(const line_event& line) {
    if (line.too_long) {
        ++too_long_;
        if (may_warn()) {
            ctx_.log().warn("{} line {}: {} bytes, longer than max-line ({}): skipped", in_->describe(), line.number,
                            line.length, settings_.max_line);
        }
        return;
    }
    std::string_view text = line.text;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) return;
    ingest_result r = ctx_.ingest(std::string(text), false);
    if (r) {
        ++ingested_;
        lines_in_.inc();
        return;
    }
    ++rejected_;  // ingest() counted it; the line number is what helps fix the file
    if (may_warn()) ctx_.log().warn("{} line {} rejected: {}", in_->describe(), line.number, r.error);
}

// The tree's one policy for repeated warnings; the exact counts are in the
// summary at EOF and in the metrics.
bool file_endpoint::may_warn() { return araldo::worth_logging(++problem_lines_); }

void file_endpoint::input_closed(std::uint64_t lines) {
    ctx_.log().info("input closed after {} lines ({} ingested, {} rejected, {} too long)", lines, ingested_, rejected_,
                    too_long_);
}

asio::awaitable<void> file_endpoint::write_loop() {
    std::vector<araldo::encoded> batch;  // keeps the bytes alive during the write
    std::vector<asio::const_buffer> buffers;
    for (;;) {
        if (queue_.empty()) {
            if (stopping_) co_return;
            co_await queue_.wait();  // deliver() or stop()
            continue;
        }
        while (!queue_.empty() && batch.size() < max_batch) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
            buffers.push_back(asio::buffer(batch.back().bytes));
            buffers.push_back(asio::buffer(&newline, 1));
        }
        error_code ec = co_await out_->write_all(buffers);
        if (ec) {
            output_failed(ec, batch.size());
        } else {
            lines_out_.inc(batch.size());
        }
        batch.clear();
        buffers.clear();
    }
}

// The output is gone (a closed pipe, a full disk): nothing more can be written,
// so what is queued is lost, counted and logged, and later deliveries are refused.
void file_endpoint::output_failed(const error_code& ec, std::size_t lost) {
    lost += queue_.size();
    queue_.clear();
    lines_lost_.inc(lost);
    output_problem_ = "writing " + out_->describe() + " failed: " + ec.message();
    ctx_.log().error("{}; {} messages lost, further messages are dropped", output_problem_, lost);
}

std::unique_ptr<araldo::endpoint> make_file_endpoint(araldo::endpoint_context& ctx) {
    return std::make_unique<file_endpoint>(ctx, read_file_settings(ctx.opts(), ctx.global()));
}

}  // namespace araldo::plugins::endpoint_file
