#include "webhook_endpoint.hpp"

#include "admin_api.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <spdlog/spdlog.h>

#include <exception>
#include <system_error>

namespace araldo::plugins::endpoint_webhook {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Per-message warnings (queue full, spool errors): this many a minute, then counted only.
constexpr unsigned warnings_per_minute = 10;

araldo::counter& count(araldo::endpoint_context& ctx, std::string_view name, std::string_view help) {
    return ctx.metrics().counter(name, {{"endpoint", ctx.name()}}, help);
}

}  // namespace

webhook_endpoint::webhook_endpoint(araldo::endpoint_context& ctx, webhook_settings settings)
    : ctx_(ctx),
      settings_(std::move(settings)),
      client_(ctx.executor(), settings_.url, settings_.max_in_flight),
      pending_(endpoint_dir(ctx.global().data_dir, ctx.name()), settings_.spool),
      dead_(endpoint_dir(ctx.global().data_dir, ctx.name())),
      done_(ctx.executor()),
      warnings_left_(warnings_per_minute),
      retries_(count(ctx, "araldo_webhook_retries_total", "failed attempts scheduled to be tried again")),
      dead_letters_(count(ctx, "araldo_webhook_dead_letters_total", "deliveries stored as dead letters")),
      delivered_(count(ctx, "araldo_webhook_delivered_total", "deliveries answered with 2xx")),
      latency_ms_(count(ctx, "araldo_webhook_latency_ms_total", "milliseconds spent in attempts, all together")),
      responses_(count(ctx, "araldo_webhook_attempts_timed_total", "attempts counted in latency_ms_total")) {
    for (std::size_t i = 0; i < settings_.max_in_flight; ++i) timers_.emplace_back(ctx.executor());
    sleeping_.assign(settings_.max_in_flight, 0);
    metric_labels labels{{"endpoint", ctx.name()}};
    // The core keeps endpoints alive for the process lifetime: `this` stays valid.
    ctx.metrics().gauge("araldo_endpoint_queue_depth", labels, "messages waiting in the endpoint's outbound queue",
                        [this] { return static_cast<double>(queue_.waiting()); });
    ctx.metrics().gauge("araldo_webhook_in_flight", labels, "requests in progress",
                        [this] { return static_cast<double>(queue_.in_flight()); });
    ctx.metrics().gauge("araldo_webhook_disabled", labels, "1 after a 410 Gone until an operator enables it",
                        [this] { return disabled_ ? 1.0 : 0.0; });
    resume_saved();
}

void webhook_endpoint::resume_saved() {
    std::vector<delivery> saved;
    try {
        saved = pending_.load();
    } catch (const std::exception& e) {
        ctx_.opts().fail("spool", std::string("cannot load the saved deliveries: ") + e.what(),
                         "check data-dir's permissions and free space");
    }
    auto now_ms = unix_ms_now();
    auto now = clock::now();
    for (auto& d : saved) {
        d.endpoint = ctx_.name();
        auto wait = std::chrono::milliseconds(std::max<std::int64_t>(0, d.next_at_ms - now_ms));
        queue_.add(std::make_shared<delivery>(std::move(d)), now + wait);
    }
    if (!saved.empty()) ctx_.log().info("resumed {} pending deliveries from {}", saved.size(), ctx_.global().data_dir);
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

delivery_result webhook_endpoint::deliver(const message_ptr& msg) {
    if (stopping_) return delivery_result::dropped("stopped");
    if (queue_.size() >= settings_.queue_size) {
        if (may_warn()) ctx_.log().warn("queue full ({} pending): dropping {}", queue_.size(), msg->id());
        return delivery_result::dropped("queue_full");
    }
    if (queue_.contains(msg->id())) return delivery_result::dropped("duplicate");
    auto d = std::make_shared<delivery>();
    try {
        araldo::encoded e = ctx_.marshalling().marshal(msg);
        d->payload.assign(e.bytes);
        d->binary = e.binary;
    } catch (const std::exception& e) {
        if (may_warn()) ctx_.log().warn("cannot marshal {}: {}", msg->id(), e.what());
        return delivery_result::dropped("marshal_error");
    }
    d->id = msg->id();
    d->endpoint = ctx_.name();
    d->source = msg->source();
    d->time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg->time().time_since_epoch()).count();
    for (const auto& [k, v] : msg->attributes()) d->attributes.emplace_back(k, v);
    try {
        pending_.added(*d);  // written ahead before the router hears "accepted"
    } catch (const std::exception& e) {
        if (may_warn()) ctx_.log().error("spool write failed, refusing {}: {}", d->id, e.what());
        return delivery_result::dropped("spool_error");
    }
    accept(std::move(d));
    return delivery_result::ok();
}

bool webhook_endpoint::accept(delivery_queue::ptr d) {
    auto delay = next_delay(settings_.schedule, 0, std::nullopt, 0.0).value_or(araldo::duration(0));
    d->next_at_ms = delay.count() ? unix_ms_now() + delay.count() : 0;
    if (!queue_.add(std::move(d), clock::now() + delay)) return false;
    wake_one();
    return true;
}

void webhook_endpoint::stop() {
    if (stopping_) return;
    stopping_ = true;
    // Saved before anything else: the core may end the process at shutdown-timeout.
    // Requests in flight are abandoned and counted as pending; the receiver
    // de-duplicates by webhook-id if one of them did arrive.
    auto pending = queue_.pending();
    try {
        pending_.save(pending);
        if (!pending.empty()) ctx_.log().info("saved {} pending deliveries for the next start", pending.size());
    } catch (const std::exception& e) {
        ctx_.log().error("cannot save {} pending deliveries: {}", pending.size(), e.what());
    }
    client_.close_all();
    wake_all();
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
    return problems;
}

bool webhook_endpoint::may_warn() {
    auto now = clock::now();
    if (now - warn_window_ > std::chrono::minutes(1)) {
        warn_window_ = now;
        warnings_left_ = warnings_per_minute;
    }
    if (warnings_left_ == 0) return false;
    --warnings_left_;
    return true;
}

std::unique_ptr<araldo::endpoint> make_webhook_endpoint(araldo::endpoint_context& ctx) {
    webhook_settings settings = read_webhook_settings(ctx.opts());
    std::unique_ptr<webhook_endpoint> ep;
    try {
        ep = std::make_unique<webhook_endpoint>(ctx, std::move(settings));
    } catch (const boost::system::system_error& e) {
        ctx.opts().fail("ca-file", std::string("cannot load: ") + e.what(), "a PEM file of CA certificates");
    }
    admin_api::instance().add(*ep, ctx);
    return ep;
}

}  // namespace araldo::plugins::endpoint_webhook
