#include "webhook_endpoint.hpp"

#include "admin_api.hpp"

#include <araldo/log_rate.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <system_error>

namespace araldo::plugins::endpoint_webhook {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

webhook_endpoint::webhook_endpoint(araldo::endpoint_context& ctx, webhook_settings settings)
    : ctx_(ctx),
      settings_(std::move(settings)),
      client_(ctx.executor(), settings_.url, settings_.max_in_flight, settings_.max_response_body),
      pending_(endpoint_dir(ctx.global().data_dir, ctx.name()), settings_.spool),
      dead_(endpoint_dir(ctx.global().data_dir, ctx.name())),
      writer_(ctx.executor(), writer_jobs),
      done_(ctx.executor()),
      retries_(
          araldo::endpoint_counter(ctx, "araldo_webhook_retries_total", "failed attempts scheduled to be tried again")),
      dead_letters_(
          araldo::endpoint_counter(ctx, "araldo_webhook_dead_letters_total", "deliveries stored as dead letters")),
      delivered_(araldo::endpoint_counter(ctx, "araldo_webhook_delivered_total", "deliveries answered with 2xx")),
      latency_ms_(araldo::endpoint_counter(ctx, "araldo_webhook_latency_ms_total",
                                           "milliseconds spent in attempts, all together")),
      responses_(
          araldo::endpoint_counter(ctx, "araldo_webhook_attempts_timed_total", "attempts counted in latency_ms_total")),
      quarantined_(araldo::endpoint_counter(ctx, "araldo_webhook_quarantined_total",
                                            "saved records that could not be read back, moved to quarantine/")),
      writer_busy_(araldo::endpoint_counter(
          ctx, "araldo_webhook_writer_busy_total",
          "jobs the disk writer had no room for (dead letters held in memory, compactions put off)")) {
    for (std::size_t i = 0; i < settings_.max_in_flight; ++i) timers_.emplace_back(ctx.executor());
    if (settings_.log_payloads) client_.keep_response_body(logged_body_limit);
    sleeping_.assign(settings_.max_in_flight, 0);
    // The core keeps endpoints alive for the process lifetime: `this` stays valid.
    araldo::endpoint_gauge(ctx, "araldo_endpoint_queue_depth", "messages waiting in the endpoint's outbound queue",
                           [this] { return static_cast<double>(queue_.waiting()); });
    araldo::endpoint_gauge(ctx, "araldo_webhook_in_flight", "requests in progress",
                           [this] { return static_cast<double>(queue_.in_flight()); });
    araldo::endpoint_gauge(ctx, "araldo_webhook_disabled", "1 after a 410 Gone until an operator enables it",
                           [this] { return disabled_ ? 1.0 : 0.0; });
    araldo::endpoint_gauge(ctx, "araldo_webhook_writer_queue", "jobs waiting for the disk writer thread",
                           [this] { return static_cast<double>(writer_.queued() + dead_backlog_.size()); });
}

asio::awaitable<void> webhook_endpoint::run() {
    live_workers_ = settings_.max_in_flight;
    for (std::size_t i = 0; i < settings_.max_in_flight; ++i) {
        asio::co_spawn(ctx_.executor(), worker(i), [this, i](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    ctx_.log().error("worker {} ended with an error: {}", i, ex.what());
                }
            }
            if (--live_workers_ == 0) done_.cancel();
        });
    }
    done_.expires_at(clock::time_point::max());
    while (live_workers_ > 0) co_await done_.async_wait(use_tuple);
}

asio::awaitable<void> webhook_endpoint::worker(std::size_t slot) {
    while (!stopping_) {
        if (!disabled_) {
            if (auto d = queue_.take_due(clock::now())) {
                co_await attempt(slot, std::move(d));
                continue;
            }
        }
        auto next = disabled_ ? std::nullopt : queue_.next_due();
        timers_[slot].expires_at(next.value_or(clock::time_point::max()));
        sleeping_[slot] = 1;
        co_await timers_[slot].async_wait(use_tuple);  // due, or woken by wake_one/wake_all
        sleeping_[slot] = 0;
    }
}

void webhook_endpoint::wake_one() {
    for (std::size_t i = 0; i < timers_.size(); ++i) {
        if (sleeping_[i]) {
            sleeping_[i] = 0;
            timers_[i].cancel();
            return;
        }
    }
}

void webhook_endpoint::wake_all() {
    for (std::size_t i = 0; i < timers_.size(); ++i) {
        sleeping_[i] = 0;
        timers_[i].cancel();
    }
}

// A durable target refuses what it cannot keep (the sender hears 503 and
// retries): a full queue, a stop, a spool that cannot be written or synced.
// It drops what a retry could not fix: a payload the marshaller cannot
// encode, and an id already pending here (that copy will be delivered; the
// sender retrying would get the same answer).
delivery_result webhook_endpoint::deliver(const message_ptr& msg) {
    if (stopping_ || !started_) return refuse("stopped", *msg, stopped_seen_);
    if (queue_.size() >= settings_.queue_size) return refuse("queue_full", *msg, queue_full_seen_);
    if (queue_.contains(msg->id())) return delivery_result::dropped("duplicate");
    // The disk is behind: dead letters wait for the writer, or (spool) the
    // last fdatasync is older than the power-loss promise allows.
    if (!dead_backlog_.empty() || (settings_.spool && writer_.sync_lagging(max_sync_lag)))
        return refuse("spool_busy", *msg, spool_busy_seen_);
    auto d = std::make_shared<delivery>();
    try {
        araldo::encoded e = ctx_.marshalling().marshal(msg);
        d->payload.assign(e.bytes);
        d->binary = e.binary;
    } catch (const std::exception& e) {
        if (araldo::worth_logging(++marshal_error_seen_))
            ctx_.log().warn("cannot marshal {}: {} ({} so far)", msg->id(), e.what(), marshal_error_seen_);
        return delivery_result::dropped("marshal_error");
    }
    d->id = msg->id();
    d->endpoint = ctx_.name();
    d->source = msg->source();
    d->time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg->time().time_since_epoch()).count();
    for (const auto& [k, v] : msg->attributes()) d->attributes.emplace_back(k, v);
    try {
        d->spool_record = pending_.added(*d);  // written ahead before the router hears "accepted"
    } catch (const std::exception& e) {
        if (araldo::worth_logging(++spool_error_seen_))
            ctx_.log().error("spool write failed, refusing {}: {} ({} so far)", d->id, e.what(), spool_error_seen_);
        return delivery_result::refused("spool_error");
    }
    accept(std::move(d));
    return delivery_result::ok();
}

delivery_result webhook_endpoint::refuse(std::string_view reason, const message& msg, std::uint64_t& seen) {
    if (araldo::worth_logging(++seen)) {
        ctx_.log().warn("refusing {} ({}): {} pending, {} dead letters waiting for the disk ({} so far)", msg.id(),
                        reason, queue_.size(), dead_backlog_.size(), seen);
    }
    return delivery_result::refused(reason);
}

bool webhook_endpoint::accept(delivery_queue::ptr d) {
    auto delay = next_delay(settings_.schedule, 0, std::nullopt, 0.0).value_or(araldo::duration(0));
    d->next_at_ms = delay.count() ? unix_ms_now() + delay.count() : 0;
    if (!queue_.add(std::move(d), clock::now() + delay)) return false;
    wake_one();
    return true;
}

std::vector<std::string> webhook_endpoint::health() const {
    std::vector<std::string> problems;
    if (disabled_) {
        problems.push_back("disabled since " + disabled_since_ + " (410 Gone from " + settings_.url.text + "); " +
                           std::to_string(queue_.size()) + " deliveries held; POST /_admin/endpoints/" + name() +
                           "/enable");
    }
    auto hour_ago = clock::now() - std::chrono::hours(1);
    auto recent = std::count_if(recent_dead_.begin(), recent_dead_.end(), [&](auto t) { return t > hour_ago; });
    if (recent > 0) problems.push_back(std::to_string(recent) + " dead letters in the last hour");
    if (settings_.spool && writer_.sync_lagging(max_sync_lag))
        problems.push_back("the disk is behind: spool writes not synced for over " +
                           std::to_string(max_sync_lag.count()) + " s; new deliveries are refused (spool_busy)");
    return problems;
}

std::unique_ptr<araldo::endpoint> make_webhook_endpoint(araldo::endpoint_context& ctx) {
    auto ep = std::make_unique<webhook_endpoint>(ctx, read_webhook_settings(ctx.opts(), ctx.global()));
    add_admin_routes(*ep, ctx);
    return ep;
}

}  // namespace araldo::plugins::endpoint_webhook
