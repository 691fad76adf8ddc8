#include "redis_endpoint.hpp"

#include <araldo/log_rate.hpp>
#include <araldo/time.hpp>
#include <araldo/tls.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace araldo::plugins::endpoint_redis {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::chrono::seconds connect_timeout{5};
// How long a published payload is remembered, waiting for its echo; and how many at most.
constexpr std::chrono::seconds echo_window{10};
constexpr std::size_t echo_capacity = 100000;
// Distinct reasons counted apart per outage; further ones share one count.
constexpr std::size_t max_counted_reasons = 8;

// This outage's count of `reason`, or of all reasons past the first few.
std::uint64_t& failures_of(link_status& link, const std::string& reason) {
    for (auto& [r, n] : link.failures)
        if (r == reason) return n;
    if (link.failures.size() >= max_counted_reasons) return link.failures.back().second;
    return link.failures.emplace_back(reason, 0).second;
}

}  // namespace

redis_endpoint::redis_endpoint(araldo::endpoint_context& ctx, redis_settings settings)
    : ctx_(ctx),
      settings_(std::move(settings)),
      where_(settings_.address.display()),
      fsm_(settings_.subscribe, settings_.psubscribe),
      echo_(echo_window, echo_capacity),
      sub_stream_(ctx.executor()),
      pub_stream_(ctx.executor()),
      stop_signal_(ctx.executor(), asio::steady_timer::time_point::max()),
      queue_(ctx.executor(), settings_.queue_size),
      received_(
          araldo::endpoint_counter(ctx, "araldo_redis_received_total", "messages received from subscribed channels")),
      published_(araldo::endpoint_counter(ctx, "araldo_redis_published_total", "PUBLISH commands Redis confirmed")),
      publish_errors_(araldo::endpoint_counter(ctx, "araldo_redis_publish_errors_total",
                                               "PUBLISH commands Redis answered with an error")),
      publish_lost_(araldo::endpoint_counter(
          ctx, "araldo_redis_publish_lost_total",
          "outbound messages lost: unconfirmed when the connection dropped, or queued at stop")),
      echo_suppressed_(araldo::endpoint_counter(ctx, "araldo_redis_echo_suppressed_total",
                                                "inbound copies of this endpoint's own PUBLISHes, dropped")),
      protocol_errors_(
          araldo::endpoint_counter(ctx, "araldo_redis_protocol_errors_total",
                                   "connections dropped because Redis sent malformed RESP or a reply beyond the "
                                   "reader's bounds")),
      invalid_folders_(araldo::endpoint_counter(
          ctx, "araldo_redis_invalid_folder_total",
          "inbound messages dropped because the folder template made no valid folder of their channel")) {
    limits_.max_bulk = settings_.max_message_size;
    if (settings_.publish && settings_.publish->literal())
        echo_copies_ = copies_received(settings_.publish->literal_text(), settings_.subscribe, settings_.psubscribe);
    const auto now = std::chrono::system_clock::now();
    sub_.role = "subscriber";
    sub_.used = !settings_.subscribe.empty() || !settings_.psubscribe.empty();
    pub_.role = "publisher";
    pub_.used = settings_.publish.has_value();
    // The core never destroys an endpoint before the process ends: `this` stays valid.
    for (link_status* l : {&sub_, &pub_}) {
        l->since = now;
        l->connects =
            &araldo::endpoint_counter(ctx, "araldo_redis_connects_total",
                                      "connections established (and set up) to Redis", {{"connection", l->role}});
        if (!l->used) continue;
        araldo::endpoint_gauge(ctx, "araldo_redis_connected",
                               "1 while the connection is up (and, for the subscriber, subscribed)",
                               [l] { return l->up ? 1.0 : 0.0; }, {{"connection", l->role}});
    }
    araldo::endpoint_gauge(ctx, "araldo_endpoint_queue_depth", "messages waiting in the endpoint's outbound queue",
                           [this] { return static_cast<double>(queue_.size()); });
    araldo::endpoint_gauge(ctx, "araldo_redis_publish_in_flight", "PUBLISH commands written and not answered yet",
                           [this] { return static_cast<double>(in_flight_); });
}

void redis_endpoint::start() {
    random_.seed(std::random_device{}());
    if (!settings_.tls) return;
    // Here, not in the constructor: it reads the CA, certificate and key
    // files, and a missing one refuses the start with its name.
    tls_context_.emplace(asio::ssl::context::tls_client);
    araldo::configure_tls_client(*tls_context_, *settings_.tls);
    sub_stream_.use_tls(*tls_context_);
    pub_stream_.use_tls(*tls_context_);
}

asio::awaitable<void> redis_endpoint::run() {
    using namespace asio::experimental::awaitable_operators;
    ctx_.log().info("{}: subscribe {} channel(s), {} pattern(s); {}", where_, settings_.subscribe.size(),
                    settings_.psubscribe.size(),
                    settings_.publish ? "publish to '" + settings_.publish->text() + "'"
                                      : std::string("no publish channel: routed messages are refused"));
    if (sub_.used && pub_.used) {
        co_await (subscribe_loop() && publish_loop());
    } else if (sub_.used) {
        co_await subscribe_loop();
    } else {
        co_await publish_loop();
    }
}

delivery_result redis_endpoint::deliver(const message_ptr& msg) {
    if (stopping_) return delivery_result::dropped("stopped");
    if (!settings_.publish) {
        if (araldo::worth_logging(++no_publish_drops_))
            ctx_.log().warn("a route delivers to this endpoint, which has no publish channel: dropping ({} so far)",
                            no_publish_drops_);
        return delivery_result::dropped("no_publish_channel");
    }
    // What this endpoint would refuse to read, it does not publish: its own
    // subscriber (and other nodes with the same limit) would drop the echo.
    // Checked on the payload, before the marshaller's encoding.
    if (msg->payload().size() > settings_.max_message_size) return delivery_result::dropped("too_large");
    if (!settings_.publish->literal()) return deliver_templated(msg);
    return queue_.offer(ctx_.marshalling(), msg);
}

// The channel is made here, not when the message is written: a message the
// template cannot place is refused to the router, which counts it.
delivery_result redis_endpoint::deliver_templated(const message_ptr& msg) {
    std::string channel;
    if (auto missing = settings_.publish->expand(msg->attributes(), channel)) {
        if (araldo::worth_logging(++missing_attribute_drops_)) {
            ctx_.log().warn(
                "publish channel '{}' needs the attribute '{}', which message {} lacks: dropping (reason "
                "missing_attribute) ({} so far)",
                settings_.publish->text(), *missing, msg->id(), missing_attribute_drops_);
        }
        return delivery_result::dropped("missing_attribute");
    }
    delivery_result r = queue_.offer(ctx_.marshalling(), msg);
    if (r.accepted) channels_.push_back(std::move(channel));
    return r;
}

void redis_endpoint::stop() {
    if (stopping_) return;
    stopping_ = true;
    stop_signal_.cancel();
    sub_stream_.close();
    queue_.notify();  // the publisher flushes what is queued (if connected), then returns
}

std::vector<std::string> redis_endpoint::health() const {
    std::vector<std::string> problems;
    for (const link_status* l : {&sub_, &pub_}) {
        if (!l->used || l->up) continue;
        problems.push_back(fmt::format("{} disconnected from {} since {}: {}", l->role, where_,
                                       araldo::format_utc(l->since, araldo::time_precision::milliseconds), l->reason));
    }
    return problems;
}

// Connects, sends AUTH/SELECT/PING followed by `more_commands` in one write, and
// checks the setup replies. Replies to `more_commands` stay in `reader`.
asio::awaitable<araldo::result<>> redis_endpoint::open_connection(const link_status& link, redis_stream& stream,
                                                                  resp_reader& reader,
                                                                  const std::string& more_commands) {
    using namespace asio::experimental::awaitable_operators;
    using araldo::result;
    auto connected = co_await (stream.connect(settings_.address, connect_timeout) || wait_stopped());
    if (connected.index() == 1 || stopping_) co_return result<>::fail("stopping");
    if (auto& c = std::get<0>(connected); !c) co_return std::move(c);
    connection_setup setup(settings_.address);  // per connection: both links set up at once
    std::string out = setup.commands() + more_commands;
    if (error_code ec = co_await stream.write(asio::buffer(out)))
        co_return result<>::fail(io_failure("write failed", co_await stream.alert_before(ec)));
    std::vector<char> buf(512);  // setup replies are short; the bytes after them stay in `reader`
    while (!setup.done()) {
        std::optional<resp_value> reply;
        try {
            reply = reader.next();
        } catch (const resp_protocol_error& e) {
            co_return result<>::fail(protocol_failure(link, e));
        }
        if (!reply) {
            auto more = co_await read_more(link, stream, reader, buf);
            if (!more) co_return more;
            continue;
        }
        if (auto step = setup.on_reply(*reply); !step) co_return step;
    }
    co_return result<>::ok();
}

asio::awaitable<araldo::result<>> redis_endpoint::read_more(const link_status& link, redis_stream& stream,
                                                            resp_reader& reader, std::vector<char>& buf) {
    using araldo::result;
    if (buf.empty()) buf.resize(read_chunk);
    auto [ec, n] = co_await stream.read_some(asio::buffer(buf));
    if (ec == asio::error::eof) co_return result<>::fail("connection closed by Redis");
    if (ec == asio::error::operation_aborted) co_return result<>::fail("connection closed");
    if (ec) co_return result<>::fail(io_failure("read failed", ec));
    try {
        reader.feed(std::string_view(buf.data(), n));
    } catch (const resp_protocol_error& e) {
        co_return result<>::fail(protocol_failure(link, e));
    }
    co_return result<>::ok();
}

std::string redis_endpoint::protocol_failure(const link_status& link, const resp_protocol_error& e) {
    protocol_errors_.inc();
    const auto n = protocol_errors_.value();
    if (araldo::worth_logging(n)) {
        ctx_.log().warn("{} connection to {}: protocol error: {} ({} so far); dropping the connection", link.role,
                        where_, e.what(), n);
    }
    return std::string("protocol error: ") + e.what();
}

// Exponential backoff with full jitter: a random wait up to min * 2^attempt, capped at max.
asio::awaitable<void> redis_endpoint::backoff(link_status& link) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(ctx_.executor(), araldo::backoff_delay(settings_.reconnect, link.attempt++, random_));
    co_await (timer.async_wait(use_tuple) || wait_stopped());
}

asio::awaitable<void> redis_endpoint::wait_stopped() {
    if (stopping_) co_return;
    co_await stop_signal_.async_wait(use_tuple);
}

void redis_endpoint::came_up(link_status& link, std::string_view detail) {
    link.up = true;
    link.attempt = 0;
    link.failures.clear();
    link.connects->inc();
    ctx_.log().info("{} connected to {}{}", link.role, where_, detail);
}

void redis_endpoint::went_down(link_status& link, std::string reason) {
    if (link.up) {
        link.up = false;
        link.since = std::chrono::system_clock::now();
        ctx_.log().warn("{} connection to {} lost: {}; reconnecting", link.role, where_, reason);
        link.failures.assign(1, {reason, 1});
    } else if (const auto n = ++failures_of(link, reason); araldo::worth_logging(n)) {
        // A new reason is always said: an operator sees a wrong password at once.
        // What only an operator can fix is an error: credentials, the database, certificates.
        auto level = reason.starts_with("authentication") || reason.starts_with("SELECT") || reason.starts_with("TLS")
                         ? spdlog::level::err
                         : spdlog::level::warn;
        ctx_.log().log(level, "{} cannot connect to {}: {}; retrying with backoff ({} in this outage)", link.role,
                       where_, reason, n);
    } else {
        ctx_.log().debug("{} cannot connect to {}: {}", link.role, where_, reason);
    }
    link.reason = std::move(reason);
}

std::unique_ptr<araldo::endpoint> make_redis_endpoint(araldo::endpoint_context& ctx) {
    return std::make_unique<redis_endpoint>(ctx, read_redis_settings(ctx.opts(), ctx.global()));
}

}  // namespace araldo::plugins::endpoint_redis
