#include "upstream_endpoint.hpp"

#include <araldo/log_rate.hpp>
#include <araldo/request.hpp>
#include <araldo/time.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>
#include <optional>

namespace araldo::plugins::endpoint_upstream {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view outcomes[] = {"ok", "unreachable", "error", "timeout", "too_large"};
constexpr std::string_view drop_reasons[] = {"not_a_request", "bad_request", "queue_full", "stopped", "expired"};

}  // namespace

upstream_endpoint::upstream_endpoint(araldo::endpoint_context& ctx, upstream_settings settings)
    : ctx_(ctx),
      settings_(std::move(settings)),
      client_(ctx.executor(), settings_.url, settings_.headers, settings_.max_connections,
              settings_.max_response_body),
      done_(ctx.executor()),
      connections_opened_(araldo::endpoint_counter(ctx, "araldo_upstream_connections_opened_total",
                                                   "connections opened to the service (kept-alive ones are reused)")) {
    // Counters looked up once: the hot path only increments.
    for (auto o : outcomes) {
        requests_by_outcome_.emplace(std::string(o), &araldo::endpoint_counter(
                                                         ctx, "araldo_upstream_requests_total",
                                                         "requests forwarded to the service, by outcome",
                                                         {{"outcome", std::string(o)}}));
    }
    for (auto r : drop_reasons) {
        dropped_by_reason_.emplace(std::string(r), &araldo::endpoint_counter(
                                                       ctx, "araldo_upstream_dropped_total",
                                                       "messages not forwarded, by reason", {{"reason", std::string(r)}}));
    }
    // Slot 0 ends up last: the first request takes it.
    for (std::size_t i = settings_.max_connections; i-- > 0;) free_slots_.push_back(i);
    // The core keeps endpoints alive for the process lifetime: `this` stays valid.
    araldo::endpoint_gauge(ctx, "araldo_endpoint_queue_depth", "messages waiting in the endpoint's outbound queue",
                           [this] { return static_cast<double>(waiting_.size()); });
    araldo::endpoint_gauge(ctx, "araldo_upstream_in_flight", "requests in progress with the service",
                           [this] { return static_cast<double>(in_flight_); });
    araldo::endpoint_gauge(ctx, "araldo_upstream_connections", "connections to the service open now",
                           [this] { return static_cast<double>(client_.open_connections()); });
}

void upstream_endpoint::start() {
    client_.load_tls();
    started_ = true;
}

asio::awaitable<void> upstream_endpoint::run() {
    done_.expires_at(std::chrono::steady_clock::time_point::max());
    while (!stopping_ || in_flight_ > 0) co_await done_.async_wait(use_tuple);
    client_.close_all();
}

void upstream_endpoint::stop() {
    stopping_ = true;
    // Waiting requests are answered now rather than at their deadline; those in
    // progress finish (the core's shutdown-timeout bounds them).
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& j : waiting) {
        count_drop("stopped", *j.msg, "the endpoint is stopping");
        j.msg->reply_to()->answer(araldo::reply::error(503, "upstream endpoint stopping"));
    }
    done_.cancel();
}

void upstream_endpoint::count_drop(std::string_view reason, const message& msg, std::string_view detail) {
    dropped_by_reason_.find(reason)->second->inc();
    auto& seen = drops_seen_[std::string(reason)];
    if (araldo::worth_logging(++seen)) {
        ctx_.log().warn("not forwarding {} ({}): {} ({} so far)", msg.id(), reason, detail, seen);
    }
}

delivery_result upstream_endpoint::refuse(const message& msg, std::string_view reason, araldo::reply r) {
    count_drop(reason, msg, r.body);
    msg.reply_to()->answer(std::move(r));
    return delivery_result::dropped(reason);
}

delivery_result upstream_endpoint::deliver(const message_ptr& msg) {
    if (!msg->reply_to()) {
        count_drop("not_a_request", *msg, "it expects no reply");
        return delivery_result::dropped("not_a_request");
    }
    if (stopping_ || !started_) return refuse(*msg, "stopped", araldo::reply::error(503, "upstream endpoint stopping"));
    auto req = araldo::read_request(*msg);
    if (!req) return refuse(*msg, "bad_request", araldo::reply::error(400, "not a request: no request.method"));
    auto call = make_call(settings_.url.path, *req);
    if (!call) return refuse(*msg, "bad_request", araldo::reply::error(400, call.reason()));
    job j{msg, std::move(call).value()};
    if (!free_slots_.empty()) {
        std::size_t slot = free_slots_.back();
        free_slots_.pop_back();
        begin(slot, std::move(j));
    } else if (waiting_.size() < settings_.queue) {
        waiting_.push_back(std::move(j));
    } else {
        return refuse(*msg, "queue_full", araldo::reply::error(503, "upstream queue full"));
    }
    return delivery_result::ok();
}

void upstream_endpoint::begin(std::size_t slot, job j) {
    ++in_flight_;
    asio::co_spawn(ctx_.executor(), serve(slot, std::move(j)), [this, slot](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                ctx_.log().error("request on connection {} ended with an error: {}", slot, ex.what());
            }
        }
        --in_flight_;
        release(slot);
    });
}

// A request queued between serve()'s last look at the queue and its end would
// otherwise wait for a slot that nobody hands out.
void upstream_endpoint::release(std::size_t slot) {
    if (auto next = next_waiting()) {
        begin(slot, std::move(*next));
        return;
    }
    free_slots_.push_back(slot);
    if (in_flight_ == 0 && stopping_) done_.cancel();
}

std::optional<upstream_endpoint::job> upstream_endpoint::next_waiting() {
    while (!waiting_.empty() && !stopping_) {
        job j = std::move(waiting_.front());
        waiting_.pop_front();
        const auto& to = j.msg->reply_to();
        // Its caller has its answer (504 at the deadline): nobody waits for this one.
        if (to->answered() || std::chrono::steady_clock::now() >= to->deadline()) {
            count_drop("expired", *j.msg, "its deadline passed while it waited for a connection");
            continue;
        }
        return j;
    }
    return std::nullopt;
}

// One slot's work: this request, then whatever waits, on the same connection.
asio::awaitable<void> upstream_endpoint::serve(std::size_t slot, job first) {
    co_await forward(slot, std::move(first));
    while (auto next = next_waiting()) co_await forward(slot, std::move(*next));
}

asio::awaitable<void> upstream_endpoint::forward(std::size_t slot, job j) {
    auto deadline = std::min(std::chrono::steady_clock::now() + settings_.timeout, j.msg->reply_to()->deadline());
    upstream_outcome outcome = co_await client_.send(slot, j.call, j.msg->payload(), deadline);
    settle(j, std::move(outcome));
}

void upstream_endpoint::settle(const job& j, upstream_outcome outcome) {
    const auto opened = client_.connections_opened();
    connections_opened_.inc(opened - opened_seen_);
    opened_seen_ = opened;
    requests_by_outcome_.find(outcome_label(outcome.failed))->second->inc();
    if (outcome.failed == failure::none) {
        failing_ = false;
        errors_in_a_row_ = 0;
    } else {
        if (!failing_) failing_since_ = araldo::format_utc(std::chrono::system_clock::now());
        failing_ = true;
        last_error_ = outcome.what;
        ++errors_in_a_row_;
        if (araldo::worth_logging(++upstream_errors_seen_)) {
            ctx_.log().warn("{} {}: {} ({} errors so far)", j.call.method, j.call.target, outcome.what,
                            upstream_errors_seen_);
        }
    }
    j.msg->reply_to()->answer(to_reply(std::move(outcome)));
}

std::vector<std::string> upstream_endpoint::health() const {
    std::vector<std::string> problems;
    if (failing_) {
        problems.push_back(settings_.url.text + " failing since " + failing_since_ + " (failed " +
                           std::to_string(errors_in_a_row_) + " times in a row); last: " + last_error_);
    }
    if (settings_.queue > 0 && waiting_.size() >= settings_.queue) {
        problems.push_back("the queue is full (" + std::to_string(waiting_.size()) +
                           " requests waiting for a connection): new requests are answered 503");
    }
    return problems;
}

std::unique_ptr<araldo::endpoint> make_upstream_endpoint(araldo::endpoint_context& ctx) {
    return std::make_unique<upstream_endpoint>(ctx, read_upstream_settings(ctx.opts(), ctx.global()));
}

}  // namespace araldo::plugins::endpoint_upstream
