// libmosquitto's C callbacks, turned into calls on the endpoint. They run
// inside mosquitto_loop_read/write/misc, which only the session's coroutines
// call, so always on the core thread and never re-entered. No exception may
// cross back into C: each trampoline contains them.
#include "mqtt_endpoint.hpp"

#include <araldo/folder.hpp>
#include <araldo/json.hpp>
#include <araldo/log_rate.hpp>
#include <araldo/utf8.hpp>

#include <spdlog/spdlog.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace araldo::plugins::endpoint_mqtt {

namespace {

template <class F>
void guarded(void* self, const char* where, F&& f) noexcept {
    auto* e = static_cast<mqtt_endpoint*>(self);
    try {
        f(*e);
    } catch (const std::exception& ex) {
        static std::uint64_t n = 0;
        if (araldo::worth_logging(++n))
            spdlog::error("endpoint-mqtt: {} callback failed: {} ({} so far)", where, ex.what(), n);
    } catch (...) {
        static std::uint64_t n = 0;
        if (araldo::worth_logging(++n)) spdlog::error("endpoint-mqtt: {} callback failed ({} so far)", where, n);
    }
}

int tls_owner_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

}  // namespace

void mqtt_endpoint::install_callbacks() {
    mosquitto_connect_v5_callback_set(mosq_,
                                      [](::mosquitto*, void* self, int rc, int flags, const mosquitto_property*) {
                                          guarded(self, "connect", [&](mqtt_endpoint& e) { e.on_connect(rc, flags); });
                                      });
    mosquitto_disconnect_v5_callback_set(mosq_, [](::mosquitto*, void* self, int rc, const mosquitto_property*) {
        guarded(self, "disconnect", [&](mqtt_endpoint& e) { e.on_disconnect(rc); });
    });
    mosquitto_message_v5_callback_set(
        mosq_, [](::mosquitto*, void* self, const mosquitto_message* m, const mosquitto_property*) {
            guarded(self, "message", [&](mqtt_endpoint& e) { e.on_message(*m); });
        });
    mosquitto_publish_v5_callback_set(mosq_, [](::mosquitto*, void* self, int mid, int rc, const mosquitto_property*) {
        guarded(self, "publish", [&](mqtt_endpoint& e) { e.on_publish(mid, rc); });
    });
    mosquitto_subscribe_v5_callback_set(
        mosq_, [](::mosquitto*, void* self, int mid, int count, const int* granted, const mosquitto_property*) {
            guarded(self, "subscribe", [&](mqtt_endpoint& e) { e.on_subscribe(mid, count, granted); });
        });
    listen_to_library_log(true);
}

// libmosquitto formats every log line (one per packet, at debug level) into a
// fresh allocation whenever a log callback is set. A session listens while it
// connects, where the library's error lines explain failures, and after that
// only while trace logging is on.
void mqtt_endpoint::listen_to_library_log(bool on) {
    if (!on) {
        mosquitto_log_callback_set(mosq_, nullptr);
        return;
    }
    mosquitto_log_callback_set(mosq_, [](::mosquitto*, void* self, int level, const char* text) {
        guarded(self, "log", [&](mqtt_endpoint& e) { e.on_log(level, text); });
    });
}

void mqtt_endpoint::install_tls_hooks() {
    SSL_CTX* ctx = tls_context_->native_handle();
    SSL_CTX_set_ex_data(ctx, tls_owner_index(), this);
    SSL_CTX_set_info_callback(ctx, [](const SSL* ssl, int where, int ret) {
        void* self = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_owner_index());
        if (!self) return;
        guarded(self, "TLS", [&](mqtt_endpoint& e) { e.on_tls_event(const_cast<SSL*>(ssl), where, ret); });
    });
}

void mqtt_endpoint::on_tls_event(ssl_st* ssl, int where, int ret) {
    if ((where & SSL_CB_HANDSHAKE_START) && !SSL_is_init_finished(ssl)) {
        // libmosquitto named the server by the address it connected to; the
        // name in the URL is what the certificate must carry, and the SNI.
        SSL_set_tlsext_host_name(ssl, nullptr);
        if (auto prepared = araldo::prepare_tls_client(ssl, settings_.address.host); !prepared)
            tls_failure_ = prepared.reason();
        return;
    }
    if (!(where & SSL_CB_ALERT) || tls_failure_.size()) return;
    // OpenSSL's table predates TLS 1.3's certificate_required (116).
    const std::string alert = (ret & 0xff) == 116 ? "certificate required" : SSL_alert_desc_string_long(ret);
    if (where & SSL_CB_WRITE) {
        const long verify = SSL_get_verify_result(ssl);
        tls_failure_ = verify != X509_V_OK
                           ? std::string("the broker's certificate: ") + X509_verify_cert_error_string(verify)
                           : "alert sent: " + alert;
    } else {
        tls_failure_ = "the broker sent the alert: " + alert;
    }
}

void mqtt_endpoint::on_connect(int reason, int flags) {
    if (reason != 0) {
        refusal_ = std::string("the broker refused the connection: ") +
                   (settings_.mqtt5 ? mosquitto_reason_string(reason) : mosquitto_connack_string(reason));
        return;
    }
    connected_ = true;
    attempt_ = 0;
    if (ever_connected_) reconnects_.inc();
    ever_connected_ = true;
    down_reason_.clear();
    refused_subscriptions_.clear();
    const bool resumed = (flags & 1) != 0;
    ctx_.log().info("connected to {} ({})", where_, resumed ? "session resumed" : "new session");
    if (!ctx_.log().should_log(spdlog::level::trace)) listen_to_library_log(false);
    subscribe_all();
    queue_.notify();  // the SUBSCRIBEs and anything queued go out
}

void mqtt_endpoint::subscribe_all() {
    pending_subscriptions_.clear();
    for (const auto& s : settings_.subscribe) {
        // MQTT 5's no-local: what this client publishes does not come back to it.
        const int options = settings_.mqtt5 ? MQTT_SUB_OPT_NO_LOCAL : 0;
        int mid = 0;
        if (int rc = mosquitto_subscribe_v5(mosq_, &mid, s.topic.c_str(), s.qos, options, nullptr)) {
            ctx_.log().error("cannot subscribe to {}: {}", s.topic, mosquitto_strerror(rc));
            continue;
        }
        pending_subscriptions_.emplace_back(mid, s.topic);
    }
}

void mqtt_endpoint::on_subscribe(int mid, int count, const int* granted) {
    for (auto it = pending_subscriptions_.begin(); it != pending_subscriptions_.end(); ++it) {
        if (it->first != mid) continue;
        if (count > 0 && granted[0] >= 0x80) {
            ctx_.log().error("the broker refused the subscription to {} (reason {})", it->second, granted[0]);
            refused_subscriptions_.push_back(it->second);
        } else {
            ctx_.log().debug("subscribed to {}", it->second);
        }
        pending_subscriptions_.erase(it);
        return;
    }
}

void mqtt_endpoint::on_disconnect(int reason) { ctx_.log().debug("libmosquitto closed the connection ({})", reason); }

void mqtt_endpoint::on_log(int level, const char* text) {
    if (level & MOSQ_LOG_ERR) library_error_ = text;
    if (ctx_.log().should_log(spdlog::level::trace)) ctx_.log().trace("libmosquitto: {}", text);
}

// Synchronous: the message is in araldo's routes (every target's deliver()
// has taken or refused it) when this returns. libmosquitto 2.0 has written
// the PUBACK of a QoS 1 message just before calling here (README: QoS).
void mqtt_endpoint::on_message(const mosquitto_message& m) {
    if (m.payloadlen < 0 || static_cast<std::uint64_t>(m.payloadlen) > settings_.max_message_size) {
        count_drop(dropped_too_large_in_, "inbound message larger than max-message-size on", m.topic);
        return;
    }
    std::string topic(m.topic);
    araldo::attributes attrs;
    if (settings_.folder && !folder_for(topic, attrs)) return;
    received_.inc();
    std::string payload(static_cast<const char*>(m.payload), static_cast<std::size_t>(m.payloadlen));
    if (ctx_.log().should_log(spdlog::level::debug))
        ctx_.log().debug("IN topic={} qos={} retain={} {} bytes", araldo::json_quote(topic), m.qos, m.retain,
                         payload.size());
    attrs.set("mqtt.topic", std::move(topic));
    attrs.set("mqtt.qos", std::to_string(m.qos));
    attrs.set("mqtt.retain", m.retain ? "true" : "false");
    // MQTT payloads are bytes; a message is text when they are valid UTF-8.
    const bool binary = !araldo::valid_utf8(payload);
    ctx_.ingest(std::move(payload), binary, std::move(attrs));
}

bool mqtt_endpoint::folder_for(const std::string& topic, araldo::attributes& attrs) {
    std::string folder = settings_.folder->expand_all(topic);
    if (auto valid = araldo::valid_folder(folder); !valid) {
        count_drop(dropped_invalid_folder_, "topic makes no valid folder (" + valid.reason() + "):", topic);
        return false;
    }
    attrs.set(std::string(araldo::folder_attribute), std::move(folder));
    return true;
}

void mqtt_endpoint::on_publish(int mid, int reason) {
    const bool qos1 = inflight_.erase(mid) > 0;
    if (qos1 && reason >= 0x80) {
        count_drop(dropped_refused_, "the broker refused a publish: " + std::string(mosquitto_reason_string(reason)),
                   std::to_string(mid));
    } else {
        published_.inc();
    }
    queue_.notify();  // an in-flight slot is free
}

void mqtt_endpoint::count_drop(araldo::counter& c, std::string_view what, std::string_view detail) {
    c.inc();
    if (const auto n = c.value(); araldo::worth_logging(n)) {
        // Topics and ids may be outside bytes: quoted, so they cannot forge a log line.
        ctx_.log().warn("{} {}: dropped ({} so far)", what, araldo::json_quote(detail), n);
    }
}

}  // namespace araldo::plugins::endpoint_mqtt
