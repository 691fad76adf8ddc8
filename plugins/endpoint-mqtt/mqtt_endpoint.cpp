#include "mqtt_endpoint.hpp"

#include <araldo/log_rate.hpp>
#include <araldo/time.hpp>
#include <araldo/tls.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace araldo::plugins::endpoint_mqtt {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

araldo::counter& dropped(araldo::endpoint_context& ctx, const char* reason) {
    return araldo::endpoint_counter(ctx, "araldo_mqtt_dropped_total",
                                    "messages dropped by this endpoint, by reason (see the plugin's README)",
                                    {{"reason", reason}});
}

}  // namespace

mqtt_endpoint::mqtt_endpoint(araldo::endpoint_context& ctx, mqtt_settings settings)
    : ctx_(ctx),
      settings_(std::move(settings)),
      where_(settings_.address.display()),
      stream_(ctx.executor()),
      down_since_(std::chrono::system_clock::now()),
      stop_signal_(ctx.executor(), asio::steady_timer::time_point::max()),
      queue_(ctx.executor(), settings_.queue_size),
      received_(araldo::endpoint_counter(ctx, "araldo_mqtt_received_total",
                                         "messages received from subscribed topics and ingested")),
      published_(araldo::endpoint_counter(
          ctx, "araldo_mqtt_published_total",
          "messages published: QoS 0 once written to the socket, QoS 1 once the broker acknowledged them")),
      reconnects_(araldo::endpoint_counter(ctx, "araldo_mqtt_reconnects_total",
                                           "connections accepted by the broker after the first")),
      dropped_invalid_folder_(dropped(ctx, "invalid_folder")),
      dropped_too_large_in_(dropped(ctx, "too_large_in")),
      dropped_too_large_out_(dropped(ctx, "too_large")),
      dropped_loop_(dropped(ctx, "loop")),
      dropped_missing_attribute_(dropped(ctx, "missing_attribute")),
      dropped_invalid_topic_(dropped(ctx, "invalid_topic")),
      dropped_queue_full_(dropped(ctx, "queue_full")),
      dropped_refused_(dropped(ctx, "refused_by_broker")),
      dropped_stopped_(dropped(ctx, "stopped")),
      dropped_connection_lost_(dropped(ctx, "connection_lost")) {
    // The core never destroys an endpoint before the process ends: `this` stays valid.
    araldo::endpoint_gauge(ctx, "araldo_mqtt_connected", "1 while the broker has accepted the connection",
                           [this] { return connected_ ? 1.0 : 0.0; });
    araldo::endpoint_gauge(ctx, "araldo_mqtt_inflight", "QoS 1 publishes sent and not acknowledged yet",
                           [this] { return static_cast<double>(inflight_.size()); });
    araldo::endpoint_gauge(ctx, "araldo_endpoint_queue_depth", "messages waiting in the endpoint's outbound queue",
                           [this] { return static_cast<double>(queue_.size()); });
}

void mqtt_endpoint::start() {
    random_.seed(std::random_device{}());
    if (!settings_.tls) return;
    // Here, not in the constructor: it reads the CA, certificate and key files.
    tls_context_.emplace(asio::ssl::context::tls_client);
    araldo::configure_tls_client(*tls_context_, *settings_.tls);
    install_tls_hooks();
}

asio::awaitable<void> mqtt_endpoint::run() {
    ctx_.log().info("{}: subscribe {} topic filter(s); {}", where_, settings_.subscribe.size(),
                    settings_.publish ? "publish to '" + settings_.publish->topic.text() + "'"
                                      : std::string("no publish topic: routed messages are refused"));
    while (!stopping_) {
        std::string reason = co_await session();
        stream_.close();
        if (stopping_) break;
        went_down(std::move(reason));
        co_await backoff();
    }
    disconnect_at_stop();
    ctx_.log().debug("stopped");
}

delivery_result mqtt_endpoint::deliver(const message_ptr& msg) {
    if (stopping_) return delivery_result::dropped("stopped");
    if (!settings_.publish) return delivery_result::dropped("no_publish_topic");
    if (msg->payload().size() > settings_.max_message_size) {
        count_drop(dropped_too_large_out_, "too large to publish", msg->id());
        return delivery_result::dropped("too_large");
    }
    std::string topic;
    if (auto missing = settings_.publish->topic.expand(msg->attributes(), topic)) {
        count_drop(dropped_missing_attribute_, "no attribute for the publish topic", *missing);
        return delivery_result::dropped("missing_attribute");
    }
    // No loop: what came in from this endpoint's broker on a topic goes back
    // to no broker on that same topic. Not a failure, so not a refusal.
    if (msg->source() == ctx_.name() && msg->attributes().get("mqtt.topic") == std::string_view(topic)) {
        dropped_loop_.inc();
        return delivery_result::ok();
    }
    if (!settings_.publish->topic.literal() && !codec::valid_topic_name(topic)) {
        count_drop(dropped_invalid_topic_, "the publish template made no valid topic", msg->id());
        return delivery_result::dropped("invalid_topic");
    }
    delivery_result r = queue_.offer(ctx_.marshalling(), msg);
    if (r.accepted) {
        topics_.push_back(std::move(topic));
    } else if (r.reason == "queue_full") {
        dropped_queue_full_.inc();
    }
    return r;
}

void mqtt_endpoint::stop() {
    if (stopping_) return;
    stopping_ = true;
    stop_signal_.cancel();
    queue_.notify();  // the writer publishes what is queued (if connected), then the session ends
}

std::vector<std::string> mqtt_endpoint::health() const {
    std::vector<std::string> problems;
    if (!connected_ && !stopping_) {
        problems.push_back(fmt::format("disconnected from {} since {}: {}", where_,
                                       araldo::format_utc(down_since_, araldo::time_precision::milliseconds),
                                       down_reason_));
    }
    for (const auto& s : refused_subscriptions_) problems.push_back("subscription refused by the broker: " + s);
    return problems;
}

// Exponential backoff with full jitter: a random wait up to min * 2^attempt, capped at max.
asio::awaitable<void> mqtt_endpoint::backoff() {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(ctx_.executor(), araldo::backoff_delay(settings_.reconnect, attempt_++, random_));
    co_await (timer.async_wait(use_tuple) || wait_stopped());
}

asio::awaitable<void> mqtt_endpoint::wait_stopped() {
    if (stopping_) co_return;
    co_await stop_signal_.async_wait(use_tuple);
}

void mqtt_endpoint::went_down(std::string reason) {
    const bool was_up = down_reason_.empty();
    if (was_up) {
        down_since_ = std::chrono::system_clock::now();
        failures_ = 0;
        ctx_.log().warn("connection to {} lost: {}; reconnecting", where_, reason);
    } else if (araldo::worth_logging(++failures_) || reason != down_reason_) {
        // What only an operator can fix (credentials, certificates) is an error.
        const bool operator_fix = !refusal_.empty() || reason.starts_with("TLS");
        ctx_.log().log(operator_fix ? spdlog::level::err : spdlog::level::warn,
                       "cannot connect to {}: {}; retrying with backoff ({} in this outage)", where_, reason,
                       failures_);
    } else {
        ctx_.log().debug("cannot connect to {}: {}", where_, reason);
    }
    down_reason_ = std::move(reason);
}

std::unique_ptr<araldo::endpoint> make_mqtt_endpoint(araldo::endpoint_context& ctx) {
    return std::make_unique<mqtt_endpoint>(ctx, read_mqtt_settings(ctx.opts(), ctx.global()));
}

}  // namespace araldo::plugins::endpoint_mqtt
