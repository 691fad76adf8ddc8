// endpoint-mqtt: an MQTT 3.1.1 and 5 client on the core thread.
//
// libmosquitto speaks the protocol; this class runs its external loop
// (mqtt_session.cpp): the library's socket is waited on through an Asio
// descriptor, and the library reads, writes and keeps alive only when called.
// No thread of libmosquitto's own ever runs. Its C callbacks come back through
// trampolines (mqtt_callbacks.cpp), always from inside one of those calls,
// on the core thread.
#pragma once

#include "mqtt_options.hpp"

#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/metrics.hpp>
#include <araldo/outbound_queue.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
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
#include <unordered_set>
#include <vector>

struct mosquitto;
struct mosquitto_message;
struct ssl_st;

namespace araldo::plugins::endpoint_mqtt {

inline constexpr std::string_view plugin_id = "endpoint-mqtt";

// Owned by the core; keeps a reference to its context, which outlives it.
class mqtt_endpoint final : public araldo::endpoint {
public:
    // Prepares only: no socket, no file, no libmosquitto object (`--check`
    // constructs and never starts).
    mqtt_endpoint(araldo::endpoint_context& ctx, mqtt_settings settings);
    ~mqtt_endpoint() override;

    void start() override;
    asio::awaitable<void> run() override;
    delivery_result deliver(const message_ptr& msg) override;
    void stop() override;
    std::vector<std::string> health() const override;

    // libmosquitto's callbacks, through the trampolines (mqtt_callbacks.cpp).
    void on_connect(int reason, int flags);
    void on_disconnect(int reason);
    void on_message(const mosquitto_message& m);
    void on_publish(int mid, int reason);
    void on_subscribe(int mid, int count, const int* granted);
    void on_tls_event(ssl_st* ssl, int where, int ret);
    void on_log(int level, const char* text);

private:
    // The external loop (mqtt_session.cpp).
    asio::awaitable<std::string> session();
    asio::awaitable<std::optional<std::string>> resolve(std::string& address);
    int begin_connect(const std::string& address);
    asio::awaitable<void> read_loop();
    asio::awaitable<void> write_loop();
    asio::awaitable<void> misc_loop();
    asio::awaitable<void> stop_watch();
    bool pump_reads();
    bool readable_now() const;
    bool handshaking() const;
    // After every call into libmosquitto: false (and the descriptor released)
    // once the library has closed its socket or the call failed.
    bool still_up(int rc);
    void end_session(std::string reason);
    void release_socket();
    void publish_queued();
    void subscribe_all();
    std::string describe(int rc) const;
    asio::awaitable<void> backoff();
    asio::awaitable<void> wait_stopped();
    void went_down(std::string reason);
    void disconnect_at_stop();

    // Callbacks and inbound (mqtt_callbacks.cpp).
    void install_callbacks();
    void listen_to_library_log(bool on);
    // The broker's name checked in its certificate and sent as SNI: by an
    // SSL_CTX info callback, as each handshake starts (libmosquitto makes
    // the SSL object itself, from the address it was given).
    void install_tls_hooks();
    bool folder_for(const std::string& topic, araldo::attributes& attrs);
    void count_drop(araldo::counter& c, std::string_view what, std::string_view detail);

    araldo::endpoint_context& ctx_;
    mqtt_settings settings_;
    std::string where_;  // the URL without credentials, for logs and health

    ::mosquitto* mosq_ = nullptr;  // made in start(), kept across reconnects (it holds the session's QoS 1 state)
    std::optional<asio::ssl::context> tls_context_;
    asio::posix::stream_descriptor socket_;  // libmosquitto's fd, never closed by Asio (released first)
    int fd_ = -1;
    bool in_session_ = false;
    bool connected_ = false;  // CONNACK accepted in this session
    bool ever_connected_ = false;
    std::string session_end_;    // why the session ended, once it has
    std::string refusal_;        // the CONNACK's or DISCONNECT's reason, when the broker gave one
    std::string library_error_;  // libmosquitto's last error-level log line in this session
    std::string tls_failure_;    // what the TLS handshake said when it failed
    std::vector<std::pair<int, std::string>> pending_subscriptions_;  // SUBSCRIBE mid -> filter
    std::vector<std::string> refused_subscriptions_;
    std::string down_reason_ = "not connected yet";
    std::chrono::system_clock::time_point down_since_;
    unsigned attempt_ = 0;
    std::uint64_t failures_ = 0;  // connection failures in this outage, for the log rate limit

    bool stopping_ = false;
    asio::steady_timer stop_signal_;  // never expires; cancelled by stop() to wake every wait
    std::minstd_rand random_;         // seeded in start(): std::random_device may open a device file

    araldo::outbound_queue queue_;      // marshalled, waiting to be published; write_loop parks on it
    std::deque<std::string> topics_;    // beside queue_, each message's topic
    std::unordered_set<int> inflight_;  // QoS 1 mids libmosquitto holds until their PUBACK

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
};

// The factory: reads and checks the options, builds the endpoint.
std::unique_ptr<araldo::endpoint> make_mqtt_endpoint(araldo::endpoint_context& ctx);

}  // namespace araldo::plugins::endpoint_mqtt
