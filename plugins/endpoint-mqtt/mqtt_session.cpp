// One connection to the broker, from CONNECT to its end: a reader that takes
// every packet of each read before the next one, a writer that sends what
// waits in one write, and a timer for CONNACK and the keepalive. Any of them
// ends the session by end_session(), which closes the stream so the others
// return.
#include "mqtt_endpoint.hpp"

#include <araldo/log_rate.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace araldo::plugins::endpoint_mqtt {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_size = 64 * 1024;
// Reads without waiting after one that did, before other work runs, while
// fewer packets than drain_packets were handled: other endpoints (and the
// targets' writes) get their turn at least that often.
constexpr int drain_reads = 15;
constexpr std::size_t drain_packets = 1024;
// Room for a PUBLISH's fixed header, topic, packet id and MQTT 5 properties
// on top of its payload.
constexpr std::size_t packet_overhead = 70 * 1024;
// The writer stops taking queued publishes while this much waits for the socket.
constexpr std::size_t out_high_water = 256 * 1024;
// For the TCP connection and TLS handshake, then again from there to the CONNACK.
constexpr std::chrono::seconds connect_timeout{10};

}  // namespace

asio::awaitable<std::string> mqtt_endpoint::session() {
    using namespace asio::experimental::awaitable_operators;
    refusal_.clear();
    tls_failure_.clear();
    session_end_.clear();
    connected_ = false;
    ping_outstanding_ = false;
    in_begin_ = in_end_ = skip_ = 0;
    max_packet_ = settings_.max_message_size + packet_overhead;
    if (in_.size() < read_size) in_.resize(read_size);
    out_.clear();

    asio::steady_timer connect_timer(ctx_.executor(), connect_timeout);
    auto connected = co_await (stream_.connect(settings_.address.host, static_cast<std::uint16_t>(settings_.address.port),
                                               tls_context_ ? &*tls_context_ : nullptr) ||
                               wait_stopped() || connect_timer.async_wait(use_tuple));
    if (connected.index() == 1) co_return "stopping";
    if (connected.index() == 2) {
        co_return "no connection within " + std::to_string(connect_timeout.count()) + " s" +
            (tls_failure_.empty() ? std::string() : " (TLS: " + tls_failure_ + ")");
    }
    if (auto& r = std::get<0>(connected); !r) co_return failure(r.reason());

    codec::connect_fields f;
    f.mqtt5 = settings_.mqtt5;
    const std::string client_id = settings_.client_id.empty()
                                      ? fmt::format("araldo-{:08x}{:08x}", random_(), random_())
                                      : settings_.client_id;
    f.client_id = client_id;
    f.clean_start = settings_.clean_start;
    f.keepalive = static_cast<std::uint16_t>(settings_.keepalive);
    f.session_expiry = settings_.mqtt5 ? settings_.session_expiry : 0;
    f.receive_maximum = static_cast<std::uint16_t>(std::min<std::size_t>(settings_.max_inflight, 65535));
    if (settings_.will) {
        const auto& w = *settings_.will;
        f.will = codec::will_fields{w.topic, w.payload, w.qos, w.retain};
    }
    const auto& a = settings_.address;
    if (!a.user.empty()) {
        f.user = a.user;
        if (!a.password.empty()) f.password = a.password;
    }
    codec::append_connect(out_, f);

    co_await (read_loop() || write_loop() || keepalive_loop() || stop_watch());
    connected_ = false;
    if (const auto lost = std::exchange(qos0_waiting_, 0); lost > 0) {
        dropped_connection_lost_.inc(lost);
        if (araldo::worth_logging(dropped_connection_lost_.value()))
            ctx_.log().warn("{} QoS 0 message(s) not written (or not wholly) before the connection ended: dropped "
                            "({} so far)",
                            lost, dropped_connection_lost_.value());
    }
    co_return session_end_.empty() ? std::string("connection ended") : session_end_;
}

asio::awaitable<void> mqtt_endpoint::read_loop() {
    for (;;) {
        auto [ec, n] = co_await stream_.read_some(room_to_read());
        std::size_t packets = 0;
        for (int more = 0; !ec && n > 0; ++more) {
            in_end_ += n;
            packets += take_input();
            if (!session_end_.empty()) co_return;
            // What arrived while those packets were routed joins them before the
            // targets' writes run: a fan-out then writes fewer, larger batches.
            if (more == drain_reads || packets >= drain_packets) break;
            n = stream_.read_ready(room_to_read(), ec);
        }
        if (ec) {
            if (ec == asio::error::eof) {
                end_session("the broker closed the connection");
            } else if (ec != asio::error::operation_aborted) {
                end_session(failure("connection lost: " + ec.message()));
            }
            co_return;
        }
        queue_.notify();  // acknowledgements and SUBSCRIBEs to write; freed in-flight slots
    }
}

// The free end of the read buffer: the unread bytes moved to its start, and
// more room for a packet that does not fit yet, up to the largest one taken whole.
asio::mutable_buffer mqtt_endpoint::room_to_read() {
    if (in_begin_ > 0) {
        std::copy(in_.begin() + static_cast<std::ptrdiff_t>(in_begin_),
                  in_.begin() + static_cast<std::ptrdiff_t>(in_end_), in_.begin());
        in_end_ -= in_begin_;
        in_begin_ = 0;
    }
    if (in_end_ == in_.size()) in_.resize(std::min(in_.size() * 2, std::max(max_packet_, in_.size() + 1)));
    return asio::buffer(in_.data() + in_end_, in_.size() - in_end_);
}

asio::awaitable<void> mqtt_endpoint::write_loop() {
    for (;;) {
        publish_queued();
        if (!out_.empty()) {
            sending_.clear();
            std::swap(sending_, out_);
            const std::size_t qos0 = std::exchange(qos0_waiting_, 0);
            auto ec = co_await stream_.write(asio::buffer(sending_));
            if (ec) {
                qos0_waiting_ += qos0;  // perhaps partly written: lost with the connection
                if (ec != asio::error::operation_aborted) end_session(failure("connection lost: " + ec.message()));
                co_return;
            }
            published_.inc(qos0);
            continue;
        }
        if (!session_end_.empty()) co_return;
        if (stopping_ && connected_ && queue_.empty() && inflight_.empty()) {
            codec::append_disconnect(out_);
            co_await stream_.write(asio::buffer(out_));
            out_.clear();
            end_session("stopping");
            co_return;
        }
        co_await queue_.wait();
        if (!session_end_.empty()) co_return;
    }
}

// Puts queued messages into the write buffer while the broker has accepted
// the connection, the buffer is not backed up and QoS 1 in-flight slots are free.
void mqtt_endpoint::publish_queued() {
    if (!connected_ || !settings_.publish) return;
    while (!queue_.empty() && out_.size() < out_high_water) {
        if (publish_qos_ > 0 && inflight_.size() >= send_limit_) return;
        const araldo::encoded& e = queue_.front();
        // Fixed header (at most 5), topic, packet id, empty properties, payload.
        const std::size_t size = 5 + 2 + topics_.front().size() + 2 + 1 + e.bytes.size();
        if (broker_max_packet_ != 0 && size > broker_max_packet_) {
            count_drop(dropped_too_large_out_, "larger than the broker's maximum packet size (" +
                                                   std::to_string(broker_max_packet_) + " bytes), topic",
                       topics_.front());
        } else if (publish_qos_ > 0) {
            inflight_publish entry{next_packet_id(), {}};
            codec::append_publish(entry.packet, settings_.mqtt5, topics_.front(), e.bytes, publish_qos_,
                                  publish_retain_, false, entry.id);
            out_ += entry.packet;
            inflight_.push_back(std::move(entry));
        } else {
            codec::append_publish(out_, settings_.mqtt5, topics_.front(), e.bytes, 0, publish_retain_, false, 0);
            ++qos0_waiting_;
        }
        queue_.pop_front();
        topics_.pop_front();
    }
}

void mqtt_endpoint::subscribe_all() {
    for (const auto& s : pending_subscriptions_) ids_in_use_[s.first] = false;
    pending_subscriptions_.clear();
    for (const auto& s : settings_.subscribe) {
        const std::uint16_t id = next_packet_id();
        // MQTT 5's no-local: what this client publishes does not come back to it.
        codec::append_subscribe(out_, settings_.mqtt5, id, s.topic, s.qos, true);
        pending_subscriptions_.emplace_back(id, s.topic);
    }
}

// Unused by a publish in flight or a SUBSCRIBE waiting for its SUBACK.
std::uint16_t mqtt_endpoint::next_packet_id() {
    do {
        if (++last_packet_id_ == 0) last_packet_id_ = 1;
    } while (ids_in_use_[last_packet_id_]);
    ids_in_use_[last_packet_id_] = true;
    return last_packet_id_;
}

void mqtt_endpoint::clear_inflight() {
    for (const auto& p : inflight_) ids_in_use_[p.id] = false;
    inflight_.clear();
}

std::string mqtt_endpoint::failure(std::string otherwise) const {
    return tls_failure_.empty() ? std::move(otherwise) : "TLS: " + tls_failure_;
}

// The CONNACK must come within connect_timeout; after it, a PINGREQ goes out
// every keepalive, and the previous one must have been answered by then.
asio::awaitable<void> mqtt_endpoint::keepalive_loop() {
    asio::steady_timer timer(ctx_.executor(), connect_timeout);
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec || !session_end_.empty()) co_return;
    if (!connected_) {
        end_session("no CONNACK from the broker within " + std::to_string(connect_timeout.count()) + " s");
        co_return;
    }
    for (;;) {
        if (keepalive_.count() == 0) {
            timer.expires_at(asio::steady_timer::time_point::max());
        } else {
            timer.expires_after(keepalive_);
        }
        auto [wec] = co_await timer.async_wait(use_tuple);
        if (wec || !session_end_.empty()) co_return;
        if (ping_outstanding_) {
            end_session("no PINGRESP from the broker within the keepalive (" + std::to_string(keepalive_.count()) +
                        " s)");
            co_return;
        }
        codec::append_pingreq(out_);
        ping_outstanding_ = true;
        queue_.notify();
    }
}

// On stop: a connected session ends once the writer has published what was
// queued and the broker acknowledged it (or the core's shutdown-timeout ends
// the process); any other session ends now.
asio::awaitable<void> mqtt_endpoint::stop_watch() {
    co_await wait_stopped();
    if (!connected_) {
        end_session("stopping");
        co_return;
    }
    asio::steady_timer forever(ctx_.executor(), asio::steady_timer::time_point::max());
    co_await forever.async_wait(use_tuple);
}

void mqtt_endpoint::end_session(std::string reason) {
    if (session_end_.empty()) session_end_ = std::move(reason);
    connected_ = false;
    stream_.close();
    queue_.notify();
}

void mqtt_endpoint::disconnect_at_stop() {
    const auto lost = queue_.size() + inflight_.size();
    if (lost > 0) {
        dropped_stopped_.inc(lost);
        ctx_.log().warn("stopping with {} message(s) not published or not acknowledged: dropped", lost);
    }
    queue_.clear();
    topics_.clear();
    clear_inflight();
    connected_ = false;
}

}  // namespace araldo::plugins::endpoint_mqtt
