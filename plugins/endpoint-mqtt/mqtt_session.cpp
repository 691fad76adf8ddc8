// The external loop: libmosquitto does no I/O of its own accord. Its socket
// is waited on through an Asio descriptor; readable means mosquitto_loop_read,
// writable (while mosquitto_want_write) means mosquitto_loop_write, and a
// timer calls mosquitto_loop_misc for the keepalive. The library closes its
// socket itself when a call fails, so after every call still_up() checks the
// socket and releases the descriptor: Asio never closes libmosquitto's fd.
#include "mqtt_endpoint.hpp"

#include <araldo/log_rate.hpp>
#include <araldo/utf8.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace araldo::plugins::endpoint_mqtt {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Packets read before other coroutines get a turn.
constexpr int read_budget = 1024;
constexpr std::chrono::seconds misc_period{1};

}  // namespace

asio::awaitable<std::string> mqtt_endpoint::session() {
    using namespace asio::experimental::awaitable_operators;
    std::string address = settings_.address.host;
    if (auto failed = co_await resolve(address)) co_return *failed;
    if (stopping_) co_return "stopping";
    refusal_.clear();
    library_error_.clear();
    tls_failure_.clear();
    session_end_.clear();
    connected_ = false;
    listen_to_library_log(true);
    errno = 0;
    if (int rc = begin_connect(address); rc != MOSQ_ERR_SUCCESS) co_return describe(rc);
    fd_ = mosquitto_socket(mosq_);
    if (fd_ < 0) co_return describe(MOSQ_ERR_NO_CONN);
    boost::system::error_code ec;
    socket_.assign(fd_, ec);
    if (ec) {
        fd_ = -1;
        co_return "cannot watch the socket: " + ec.message();
    }
    in_session_ = true;
    co_await (read_loop() || write_loop() || misc_loop() || stop_watch());
    in_session_ = false;
    connected_ = false;
    co_return session_end_.empty() ? std::string("connection ended") : session_end_;
}

// libmosquitto resolves names with a blocking getaddrinfo(): a name is
// resolved here, and the library is given an address.
asio::awaitable<std::optional<std::string>> mqtt_endpoint::resolve(std::string& address) {
    using namespace asio::experimental::awaitable_operators;
    boost::system::error_code not_address;
    asio::ip::make_address(address, not_address);
    if (!not_address) co_return std::nullopt;
    asio::ip::tcp::resolver resolver(ctx_.executor());
    auto done =
        co_await (resolver.async_resolve(address, std::to_string(settings_.address.port), use_tuple) || wait_stopped());
    if (done.index() == 1) co_return std::string("stopping");
    auto [ec, results] = std::get<0>(std::move(done));
    if (ec || results.empty()) co_return "cannot resolve " + address + ": " + (ec ? ec.message() : "no address");
    address = results.begin()->endpoint().address().to_string();
    co_return std::nullopt;
}

// Starts a non-blocking connect to an address (never a name: see resolve()).
int mqtt_endpoint::begin_connect(const std::string& address) {
    const int port = settings_.address.port;
    if (!settings_.mqtt5 || settings_.session_expiry == 0)
        return mosquitto_connect_bind_async(mosq_, address.c_str(), port, settings_.keepalive, nullptr);
    // MQTT 5 CONNECT properties (the session expiry): libmosquitto 2.0 takes
    // them only in the blocking mosquitto_connect_bind_v5(), and keeps them
    // for mosquitto_reconnect_async(). While the protocol option says 3.1.1,
    // that call stores the address, port and properties and stops with
    // MOSQ_ERR_NOT_SUPPORTED before touching the network; the non-blocking
    // reconnect then sends them.
    mosquitto_property* props = nullptr;
    mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, settings_.session_expiry);
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    const int stored = mosquitto_connect_bind_v5(mosq_, address.c_str(), port, settings_.keepalive, nullptr, props);
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_property_free_all(&props);
    if (stored != MOSQ_ERR_NOT_SUPPORTED) {
        if (stored == MOSQ_ERR_SUCCESS) mosquitto_disconnect(mosq_);  // never expected: a blocking connect ran
        return stored == MOSQ_ERR_SUCCESS ? MOSQ_ERR_UNKNOWN : stored;
    }
    return mosquitto_reconnect_async(mosq_);
}

asio::awaitable<void> mqtt_endpoint::read_loop() {
    bool drained = !readable_now();
    for (;;) {
        // Asio's reactor is edge-triggered: wait only once the socket is drained.
        if (drained) {
            auto [ec] = co_await socket_.async_wait(asio::posix::descriptor_base::wait_read, use_tuple);
            if (ec || !session_end_.empty()) co_return;
        }
        drained = !pump_reads();
        queue_.notify();  // acknowledgements and SUBSCRIBEs queued by callbacks; freed in-flight slots
        if (!session_end_.empty()) co_return;
        if (!drained) co_await asio::post(ctx_.executor(), asio::use_awaitable);
    }
}

// Reads packets until the socket would block (or the session ended). True when
// the budget ran out first.
bool mqtt_endpoint::pump_reads() {
    for (int i = 0; i < read_budget; ++i) {
        errno = 0;
        const int rc = mosquitto_loop_read(mosq_, 1);
        const int err = errno;
        if (!still_up(rc)) return false;
        if (err == EAGAIN || err == EWOULDBLOCK) return false;
    }
    return true;
}

bool mqtt_endpoint::readable_now() const {
    if (fd_ < 0) return false;
    if (auto* ssl = static_cast<SSL*>(mosquitto_ssl_get(mosq_)); ssl && SSL_pending(ssl) > 0) return true;
    char byte = 0;
    const auto n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 || n == 0 ||
           (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);  // EOF and errors: let the library see them
}

bool mqtt_endpoint::handshaking() const {
    auto* ssl = static_cast<SSL*>(mosquitto_ssl_get(mosq_));
    return ssl && !SSL_is_init_finished(ssl);
}

asio::awaitable<void> mqtt_endpoint::write_loop() {
    for (;;) {
        publish_queued();
        if (!session_end_.empty()) co_return;
        if (handshaking()) {
            // libmosquitto drives its TLS handshake from loop_read; it needs the
            // socket writable only when OpenSSL says so.
            auto* ssl = static_cast<SSL*>(mosquitto_ssl_get(mosq_));
            if (SSL_want_write(ssl)) {
                auto [ec] = co_await socket_.async_wait(asio::posix::descriptor_base::wait_write, use_tuple);
                if (ec || !session_end_.empty()) co_return;
                errno = 0;
                if (!still_up(mosquitto_loop_read(mosq_, 1))) co_return;
                continue;
            }
        } else if (mosquitto_want_write(mosq_)) {
            errno = 0;
            if (!still_up(mosquitto_loop_write(mosq_, 1))) co_return;
            if (mosquitto_want_write(mosq_)) {
                auto [ec] = co_await socket_.async_wait(asio::posix::descriptor_base::wait_write, use_tuple);
                if (ec || !session_end_.empty()) co_return;
            }
            continue;
        }
        if (stopping_ && connected_ && queue_.empty() && inflight_.empty()) {
            end_session("stopping");
            co_return;
        }
        co_await queue_.wait();
        if (!session_end_.empty()) co_return;
    }
}

// Hands queued messages to libmosquitto while the broker has accepted the
// connection, the socket takes them (else the library would buffer without
// bound) and QoS 1 in-flight slots are free.
void mqtt_endpoint::publish_queued() {
    if (!connected_ || !settings_.publish) return;
    const auto& p = *settings_.publish;
    while (!queue_.empty() && !mosquitto_want_write(mosq_)) {
        if (p.qos > 0 && inflight_.size() >= settings_.max_inflight) return;
        const araldo::encoded& e = queue_.front();
        int mid = 0;
        errno = 0;
        const int rc = mosquitto_publish_v5(mosq_, &mid, topics_.front().c_str(), static_cast<int>(e.bytes.size()),
                                            e.bytes.data(), p.qos, p.retain, nullptr);
        if (rc == MOSQ_ERR_SUCCESS) {
            if (p.qos > 0) inflight_.insert(mid);
        } else if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO) {
            still_up(rc);  // kept: published again on the next connection
            return;
        } else {
            count_drop(rc == MOSQ_ERR_OVERSIZE_PACKET ? dropped_too_large_out_ : dropped_invalid_topic_,
                       std::string("libmosquitto refused a publish: ") + mosquitto_strerror(rc) + ", topic",
                       topics_.front());
        }
        queue_.pop_front();
        topics_.pop_front();
    }
}

asio::awaitable<void> mqtt_endpoint::misc_loop() {
    asio::steady_timer timer(ctx_.executor());
    for (;;) {
        timer.expires_after(misc_period);
        auto [ec] = co_await timer.async_wait(use_tuple);
        if (ec || !session_end_.empty()) co_return;
        errno = 0;
        if (!still_up(mosquitto_loop_misc(mosq_))) co_return;
        queue_.notify();  // a PINGREQ may be waiting
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

bool mqtt_endpoint::still_up(int rc) {
    const int err = errno;
    if (fd_ >= 0 && mosquitto_socket(mosq_) != fd_) {
        errno = err;
        end_session(describe(rc != MOSQ_ERR_SUCCESS ? rc : MOSQ_ERR_CONN_LOST));
        return false;
    }
    if (rc == MOSQ_ERR_SUCCESS) return true;
    errno = err;
    end_session(describe(rc));
    return false;
}

void mqtt_endpoint::end_session(std::string reason) {
    if (session_end_.empty()) session_end_ = std::move(reason);
    connected_ = false;
    release_socket();
    queue_.notify();
}

void mqtt_endpoint::release_socket() {
    if (socket_.is_open()) socket_.release();  // cancels every wait; libmosquitto closes the fd
    fd_ = -1;
}

// Why a call failed, in the words an operator needs: the broker's refusal,
// the TLS verdict, or the system error.
std::string mqtt_endpoint::describe(int rc) const {
    if (!refusal_.empty()) return refusal_;
    if (!tls_failure_.empty()) return "TLS: " + tls_failure_;
    if (rc == MOSQ_ERR_TLS)
        return "TLS: " + (library_error_.empty() ? std::string("handshake failed") : library_error_);
    if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
    if (rc == MOSQ_ERR_CONN_LOST && errno != 0 && errno != EAGAIN)
        return std::string("connection lost: ") + std::strerror(errno);
    std::string s = mosquitto_strerror(rc);
    if (!library_error_.empty()) s += " (" + library_error_ + ")";
    return s;
}

void mqtt_endpoint::disconnect_at_stop() {
    const auto lost = queue_.size() + inflight_.size();
    if (lost > 0) {
        dropped_stopped_.inc(lost);
        ctx_.log().warn("stopping with {} message(s) not published or not acknowledged: dropped", lost);
    }
    queue_.clear();
    topics_.clear();
    if (mosq_ && mosquitto_socket(mosq_) >= 0) mosquitto_disconnect(mosq_);  // writes DISCONNECT, then closes
    connected_ = false;
}

}  // namespace araldo::plugins::endpoint_mqtt
