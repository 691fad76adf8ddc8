// endpoint-mqtt: an MQTT 3.1.1 and 5 client on the core thread.
//
// The protocol is spoken by araldo itself (mqtt_codec.cpp) over an Asio
// stream (mqtt_stream.cpp): the session (mqtt_session.cpp) reads up to 64 KiB
// at a time and routes every PUBLISH in it before the next read, and writes
// what is waiting (acknowledgements, publishes, pings) in one go. Inbound
// packets are handled in mqtt_inbound.cpp.
#pragma once

#include "mqtt_codec.hpp"
#include "mqtt_options.hpp"
#include "mqtt_stream.hpp"

#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/metrics.hpp>
#include <araldo/outbound_queue.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

struct ssl_st;

namespace araldo::plugins::endpoint_mqtt {

inline constexpr std::string_view plugin_id = "endpoint-mqtt";

// Owned by the core; keeps a reference to its context, which outlives it.
class mqtt_endpoint final : public araldo::endpoint {
public:
    // Prepares only: no socket, no file (`--check` constructs and never starts).
    mqtt_endpoint(araldo::endpoint_context& ctx, mqtt_settings settings);
    ~mqtt_endpoint() override = default;

    void start() override;
    asio::awaitable<void> run() override;
    delivery_result deliver(const message_ptr& msg) override;
    void stop() override;
    std::vector<std::string> health() const override;

private:
    // The session (mqtt_session.cpp).
    asio::awaitable<std::string> session();
    asio::awaitable<void> read_loop();
    asio::mutable_buffer room_to_read();
    asio::awaitable<void> write_loop();
    asio::awaitable<void> keepalive_loop();
    asio::awaitable<void> stop_watch();
    void end_session(std::string reason);
    void publish_queued();
    void subscribe_all();
    std::uint16_t next_packet_id();
    void clear_inflight();
    // The TLS layer's verdict when it gave one (it explains a failure best), else `otherwise`.
    std::string failure(std::string otherwise) const;
    asio::awaitable<void> backoff();
    asio::awaitable<void> wait_stopped();
    void went_down(std::string reason);
    void disconnect_at_stop();

    // Inbound packets (mqtt_inbound.cpp).
    // Handles every whole packet in the read buffer; returns how many.
    std::size_t take_input();
    bool skip_oversized(std::string_view& data);
    void on_packet(const codec::packet& p);
    void on_connack(const codec::packet& p);
    void take_broker_limits(const codec::connack_fields& c);
    void on_publish(const codec::publish_fields& f);
    void on_oversized_publish(const codec::publish_fields& head, const std::string& size);
    void on_puback(const codec::packet& p);
    void on_suback(const codec::packet& p);
    void on_broker_disconnect(const codec::packet& p);
    void protocol_error(const std::string& what);
    // What the TLS layer said when a handshake or a record failed: by an
    // SSL_CTX info callback, as OpenSSL sends or receives an alert.
    void install_tls_hooks();
    void on_tls_event(ssl_st* ssl, int where, int ret);
    bool folder_for(const std::string& topic, araldo::attributes& attrs);
    void count_drop(araldo::counter& c, std::string_view what, std::string_view detail);

    araldo::endpoint_context& ctx_;
    mqtt_settings settings_;
    std::string where_;  // the URL without credentials, for logs and health

    std::optional<asio::ssl::context> tls_context_;
    mqtt_stream stream_;
    bool connected_ = false;  // CONNACK accepted in this session
    bool ever_connected_ = false;
    std::string session_end_;  // why the session ended, once it has
    std::string refusal_;      // the CONNACK's or DISCONNECT's reason, when the broker gave one
    std::string tls_failure_;  // what the TLS layer said when it failed

    // Reading: bytes not yet taken as packets are in_[in_begin_, in_end_).
    std::vector<char> in_;
    std::size_t in_begin_ = 0;
    std::size_t in_end_ = 0;
    std::size_t skip_ = 0;  // bytes still to come of a PUBLISH too large to hold
    std::size_t max_packet_ = 0;

    // Writing: packets waiting for the writer, and the ones it is writing.
    std::string out_;
    std::string sending_;
    std::size_t qos0_waiting_ = 0;  // QoS 0 publishes in out_, counted once written
    bool ping_outstanding_ = false;
    std::chrono::seconds keepalive_{0};
    std::size_t send_limit_ = 0;  // QoS 1 publishes in flight at once: ours, or the broker's receive maximum
    // publish.qos and publish.retain as far as the broker takes them (MQTT 5
    // CONNACK: Maximum QoS, Retain Available), for this connection.
    int publish_qos_ = 0;
    bool publish_retain_ = false;
    std::size_t broker_max_packet_ = 0;  // MQTT 5 CONNACK's Maximum Packet Size; 0: none given

    struct inflight_publish {
        std::uint16_t id;
        std::string packet;  // the whole PUBLISH, resent (DUP set) after a reconnect
    };
    std::deque<inflight_publish> inflight_;  // in the order sent; PUBACKs come back in that order
    std::uint16_t last_packet_id_ = 0;
    // Which packet ids a publish in flight or a SUBSCRIBE waiting for its SUBACK
    // holds: the next id is found without scanning them.
    std::vector<bool> ids_in_use_ = std::vector<bool>(codec::max_packet_id + 1, false);
    std::vector<std::pair<std::uint16_t, std::string>> pending_subscriptions_;  // SUBSCRIBE id -> filter
    std::vector<std::string> refused_subscriptions_;
    std::string down_reason_ = "not connected yet";
    std::chrono::system_clock::time_point down_since_;
    unsigned attempt_ = 0;
    std::uint64_t failures_ = 0;  // connection failures in this outage, for the log rate limit

    bool stopping_ = false;
    asio::steady_timer stop_signal_;  // never expires; cancelled by stop() to wake every wait
    std::minstd_rand random_;         // seeded in start(): std::random_device may open a device file

    araldo::outbound_queue queue_;      // marshalled, waiting to be published; write_loop parks on it
    std::deque<std::string> topics_;  // beside queue_, each message's topic

    araldo::counter& received_;
    araldo::counter& published_;
    araldo::counter& reconnects_;
    araldo::counter& dropped_invalid_folder_;
    araldo::counter& dropped_too_large_in_;
    araldo::counter& dropped_too_large_out_;
    araldo::counter& dropped_loop_;
    araldo::counter& dropped_missing_attribute_;
    araldo::counter& dropped_invalid_topic_;
    araldo::counter& dropped_queue_full_;
    araldo::counter& dropped_refused_;
    araldo::counter& dropped_stopped_;
    araldo::counter& dropped_connection_lost_;
};

// The factory: reads and checks the options, builds the endpoint.
std::unique_ptr<araldo::endpoint> make_mqtt_endpoint(araldo::endpoint_context& ctx);

}  // namespace araldo::plugins::endpoint_mqtt
