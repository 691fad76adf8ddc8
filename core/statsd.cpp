#include "statsd.hpp"

#include <araldo/log_rate.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cmath>
#include <cstdio>

namespace araldo::detail {

namespace asio = boost::asio;

namespace {

// statsd reserves ':' '|' '@' '#' and newlines, and graphite splits on '.':
// anything but letters, digits, '-' and '_' becomes '_' in a name segment.
std::string segment(std::string_view v) {
    if (v.empty()) return "_";
    std::string out(v);
    for (char& c : out) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) c = '_';
    }
    return out;
}

// A tag value may hold '.', ':' and '/' (DogStatsD splits tags on ',' only).
std::string tag_value(std::string_view v) {
    std::string out(v);
    for (char& c : out) {
        if (c == ',' || c == '|' || c == '#' || c == '@' || c == '\n' || c == '\r' || c == ' ') c = '_';
    }
    return out;
}

std::string number(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

}  // namespace

std::string statsd_batch::stat_name(std::string_view name, const metric_labels& labels) const {
    std::string out = config_.prefix.empty() ? std::string{} : config_.prefix + ".";
    out += segment(name);
    if (config_.tags == statsd_tags::none) {
        for (const auto& [k, v] : labels) {
            out += '.';
            out += segment(v);
        }
    }
    return out;
}

std::string statsd_batch::tags(const metric_labels& labels) const {
    if (config_.tags != statsd_tags::dogstatsd || labels.empty()) return {};
    std::string out = "|#";
    for (const auto& [k, v] : labels) {
        if (out.size() > 2) out += ',';
        out += segment(k) + ":" + tag_value(v);
    }
    return out;
}

void statsd_batch::add_line(std::vector<std::string>& packets, const std::string& line) const {
    if (packets.empty() || packets.back().size() + 1 + line.size() > statsd_max_packet) {
        packets.push_back(line);
    } else {
        packets.back() += '\n';
        packets.back() += line;
    }
}

std::vector<std::string> statsd_batch::collect(const metrics& registry) {
    std::vector<std::string> packets;
    registry.for_each([&](const metrics::sample& s) {
        const std::string name = stat_name(s.name, s.labels);
        const std::string tag = tags(s.labels);
        if (s.counter) {
            auto& last = last_[s.counter];
            const std::uint64_t now = s.counter->value();
            if (now == last) return;
            add_line(packets, name + ":" + std::to_string(now - last) + "|c" + tag);
            last = now;
            return;
        }
        if (std::isnan(s.gauge_value) || std::isinf(s.gauge_value)) return;
        // A signed gauge value is a change, not a value: "-3|g" subtracts 3.
        // A negative value is set by zeroing first.
        if (s.gauge_value < 0) add_line(packets, name + ":0|g" + tag);
        add_line(packets, name + ":" + number(s.gauge_value) + "|g" + tag);
    });
    return packets;
}

statsd_sender::statsd_sender(asio::any_io_executor ex, statsd_config config, metrics& registry,
                             std::shared_ptr<spdlog::logger> log)
    : config_(config),
      registry_(registry),
      log_(std::move(log)),
      socket_(ex),
      server_(asio::ip::make_address(config.address), config.port),
      timer_(ex),
      batch_(config),
      packets_(registry.counter("araldo_statsd_packets_total", {}, "datagrams sent to the statsd server")),
      errors_(registry.counter("araldo_statsd_send_errors_total", {},
                               "datagrams to the statsd server that could not be sent (dropped)")) {}

void statsd_sender::start() {
    boost::system::error_code ec;
    socket_.open(server_.protocol(), ec);
    if (!ec) socket_.non_blocking(true, ec);
    if (ec) {
        errors_.inc();
        log_->error("statsd: cannot open a UDP socket ({}); metrics are not sent to statsd", ec.message());
        return;
    }
    log_->info("statsd: sending to {}:{} every {} ms", config_.address, config_.port,
               std::chrono::duration_cast<std::chrono::milliseconds>(config_.interval).count());
    asio::co_spawn(socket_.get_executor(), push_loop(), [log = log_](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log->error("statsd: push loop ended: {}", ex.what());
        }
    });
}

void statsd_sender::stop() {
    stopping_ = true;
    timer_.cancel();
}

asio::awaitable<void> statsd_sender::push_loop() {
    while (!stopping_) {
        timer_.expires_after(config_.interval);
        co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled by stop(): push once more
        co_await push();
    }
    socket_.close();
}

// One datagram after the other: on a non-blocking socket each send completes
// at once unless the kernel's buffer is full, and then only this loop waits.
asio::awaitable<void> statsd_sender::push() {
    for (const auto& packet : batch_.collect(registry_)) {
        auto [ec, n] =
            co_await socket_.async_send_to(asio::buffer(packet), server_, asio::as_tuple(asio::use_awaitable));
        if (!ec) {
            packets_.inc();
            continue;
        }
        errors_.inc();
        if (worth_logging(errors_.value())) {
            log_->warn("statsd: a datagram to {}:{} was not sent: {} ({} so far)", config_.address, config_.port,
                       ec.message(), errors_.value());
        }
    }
}

}  // namespace araldo::detail
