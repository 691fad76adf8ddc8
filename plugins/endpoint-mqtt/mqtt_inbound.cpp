// What the broker sends: packets taken off the read buffer and handled in
// order, on the core thread, before the next read.
#include "mqtt_endpoint.hpp"

#include <araldo/folder.hpp>
#include <araldo/json.hpp>
#include <araldo/log_rate.hpp>
#include <araldo/utf8.hpp>

#include <spdlog/spdlog.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <exception>

namespace araldo::plugins::endpoint_mqtt {

namespace {

int tls_owner_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

}  // namespace

std::size_t mqtt_endpoint::take_input() {
    std::string_view data(in_.data() + in_begin_, in_end_ - in_begin_);
    const std::size_t before = data.size();
    std::size_t handled = 0;
    while (session_end_.empty() && skip_oversized(data)) {
        codec::packet p;
        std::size_t used = 0, total = 0;
        const auto status = codec::split(data, max_packet_, p, used, total);
        if (status == codec::split_status::need_more) break;
        if (status == codec::split_status::malformed) {
            protocol_error("a malformed packet length");
            break;
        }
        if (status == codec::split_status::too_large) {
            if (p.type != codec::publish || !connected_) {
                protocol_error("a packet of " + std::to_string(total) + " bytes" +
                               (connected_ ? "" : " before CONNACK"));
                break;
            }
            auto head = codec::parse_publish_head(p.flags, data.substr(used));
            if (!head) {
                protocol_error(head.reason());
                break;
            }
            if (!head.value()) break;  // its topic and packet id have not all arrived
            if (head.value()->qos > 1) {
                protocol_error("a QoS 2 PUBLISH; every subscription asked for QoS 1 at most");
                break;
            }
            on_oversized_publish(*head.value(), "a " + std::to_string(total) + "-byte packet");
            skip_ = total;
            continue;  // skip_oversized() takes it off
        }
        data.remove_prefix(used);
        on_packet(p);
        ++handled;
    }
    in_begin_ += before - data.size();
    if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
    return handled;
}

// Takes what has arrived of a PUBLISH too large to hold off `data`. True when
// nothing of it is left to skip, so the next packet may be read.
bool mqtt_endpoint::skip_oversized(std::string_view& data) {
    const std::size_t n = std::min(skip_, data.size());
    data.remove_prefix(n);
    skip_ -= n;
    return skip_ == 0;
}

void mqtt_endpoint::on_packet(const codec::packet& p) {
    if (!connected_ && p.type != codec::connack) {
        protocol_error("a packet of type " + std::to_string(p.type) + " before CONNACK");
        return;
    }
    switch (p.type) {
        case codec::connack: on_connack(p); return;
        case codec::publish: {
            auto f = codec::parse_publish(p, settings_.mqtt5);
            if (!f) return protocol_error(f.reason());
            on_publish(f.value());
            return;
        }
        case codec::puback: on_puback(p); return;
        case codec::suback: on_suback(p); return;
        case codec::pingresp: ping_outstanding_ = false; return;
        case codec::disconnect: on_broker_disconnect(p); return;
        default: protocol_error("a packet of type " + std::to_string(p.type)); return;
    }
}

void mqtt_endpoint::on_connack(const codec::packet& p) {
    if (connected_) return protocol_error("a second CONNACK");
    auto parsed = codec::parse_connack(p, settings_.mqtt5);
    if (!parsed) return protocol_error(parsed.reason());
    const auto& c = parsed.value();
    if (c.reason != 0) {
        refusal_ = std::string("the broker refused the connection: ") +
                   (settings_.mqtt5 ? codec::reason_text(c.reason) : codec::connack_text_v311(c.reason));
        if (!c.reason_string.empty()) refusal_ += " (" + c.reason_string + ")";
        end_session(refusal_);
        return;
    }
    connected_ = true;
    attempt_ = 0;
    if (ever_connected_) reconnects_.inc();
    ever_connected_ = true;
    down_reason_.clear();
    refused_subscriptions_.clear();
    ctx_.log().info("connected to {} ({})", where_, c.session_present ? "session resumed" : "new session");
    take_broker_limits(c);
    // Publishes the broker never acknowledged go again, first and in their order.
    for (auto& unacked : inflight_) {
        codec::mark_dup(unacked.packet);
        out_ += unacked.packet;
    }
    subscribe_all();
}

// What an MQTT 5 broker says it takes binds the client: never more in flight
// than its receive maximum, no packet over its maximum size, no QoS above its
// maximum, no retain flag when it has no retained messages. A 3.1.1 CONNACK says nothing and changes nothing.
void mqtt_endpoint::take_broker_limits(const codec::connack_fields& c) {
    // Packet ids are 16 bits and a reconnect sends a SUBSCRIBE per filter while
    // the publishes in flight keep theirs: leave an id for each filter, or
    // next_packet_id() would find none.
    const std::size_t ids_for_publishes = codec::max_packet_id - settings_.subscribe.size();
    send_limit_ = std::min({settings_.max_inflight, std::size_t{c.receive_maximum}, ids_for_publishes});
    keepalive_ = std::chrono::seconds(c.server_keepalive.value_or(static_cast<std::uint16_t>(settings_.keepalive)));
    broker_max_packet_ = c.maximum_packet_size;
    if (!settings_.publish) return;
    const auto& p = *settings_.publish;
    publish_qos_ = std::min<int>(p.qos, c.maximum_qos);
    publish_retain_ = p.retain && c.retain_available;
    if (publish_qos_ < p.qos)
        ctx_.log().warn("the broker takes QoS {} at most: publishing at QoS {}, so nothing is kept for a resend",
                        c.maximum_qos, publish_qos_);
    if (p.retain && !publish_retain_)
        ctx_.log().warn("the broker keeps no retained messages: publishing without the retain flag");
    if (publish_qos_ == 0 && !inflight_.empty()) {
        // Kept at QoS 1 on an earlier connection; this broker would refuse them.
        dropped_refused_.inc(inflight_.size());
        ctx_.log().warn("{} QoS 1 message(s) not acknowledged before the broker lowered its maximum QoS: dropped",
                        inflight_.size());
        clear_inflight();
    }
}

void mqtt_endpoint::on_publish(const codec::publish_fields& f) {
    if (f.qos > 1) return protocol_error("a QoS 2 PUBLISH; every subscription asked for QoS 1 at most");
    if (f.payload.size() > settings_.max_message_size) {
        on_oversized_publish(f, std::to_string(f.payload.size()) + " bytes");
        return;
    }
    std::string topic(f.topic);
    araldo::attributes attrs;
    // Routed (every target's deliver() has taken or refused it) before the
    // PUBACK is written: QoS 1 is acknowledged once the message is in araldo.
    if (!settings_.folder || folder_for(topic, attrs)) {
        received_.inc();
        std::string payload(f.payload);
        if (ctx_.log().should_log(spdlog::level::debug))
            ctx_.log().debug("IN topic={} qos={} retain={} {} bytes", araldo::json_quote(topic), f.qos, f.retain,
                             payload.size());
        attrs.set("mqtt.topic", std::move(topic));
        attrs.set("mqtt.qos", f.qos ? "1" : "0");
        attrs.set("mqtt.retain", f.retain ? "true" : "false");
        // MQTT payloads are bytes; a message is text when they are valid UTF-8.
        const bool binary = !araldo::valid_utf8(payload);
        ctx_.ingest(std::move(payload), binary, std::move(attrs));
    }
    if (f.qos == 1) codec::append_puback(out_, f.id);
}

// Dropped and counted, and acknowledged: otherwise the broker would send it
// again after every reconnect.
void mqtt_endpoint::on_oversized_publish(const codec::publish_fields& head, const std::string& size) {
    count_drop(dropped_too_large_in_, "inbound message larger than max-message-size (" + size + ") on", head.topic);
    if (head.qos == 1) codec::append_puback(out_, head.id);
}

void mqtt_endpoint::on_puback(const codec::packet& p) {
    auto parsed = codec::parse_puback(p, settings_.mqtt5);
    if (!parsed) return protocol_error(parsed.reason());
    const auto& a = parsed.value();
    auto it = std::find_if(inflight_.begin(), inflight_.end(), [&](const auto& e) { return e.id == a.id; });
    if (it == inflight_.end()) return;  // a duplicate acknowledgement after a resend
    ids_in_use_[it->id] = false;
    inflight_.erase(it);
    if (const auto reason = a.reasons.front(); reason >= 0x80) {
        count_drop(dropped_refused_, "the broker refused a publish: " + codec::reason_text(reason),
                   std::to_string(a.id));
    } else {
        published_.inc();
    }
}

void mqtt_endpoint::on_suback(const codec::packet& p) {
    auto parsed = codec::parse_suback(p, settings_.mqtt5);
    if (!parsed) return protocol_error(parsed.reason());
    const auto& a = parsed.value();
    auto it = std::find_if(pending_subscriptions_.begin(), pending_subscriptions_.end(),
                           [&](const auto& s) { return s.first == a.id; });
    if (it == pending_subscriptions_.end()) return;
    if (const auto granted = a.reasons.front(); granted >= 0x80) {
        ctx_.log().error("the broker refused the subscription to {} (reason {})", it->second,
                         settings_.mqtt5 ? codec::reason_text(granted) : std::to_string(granted));
        refused_subscriptions_.push_back(it->second);
    } else {
        ctx_.log().debug("subscribed to {}", it->second);
    }
    ids_in_use_[it->first] = false;
    pending_subscriptions_.erase(it);
}

void mqtt_endpoint::on_broker_disconnect(const codec::packet& p) {
    auto parsed = codec::parse_disconnect(p, settings_.mqtt5);
    if (!parsed) return protocol_error(parsed.reason());
    const auto& d = parsed.value();
    refusal_ = "the broker closed the connection: " + codec::reason_text(d.reason);
    if (!d.reason_string.empty()) refusal_ += " (" + d.reason_string + ")";
    end_session(refusal_);
}

void mqtt_endpoint::protocol_error(const std::string& what) {
    end_session("protocol error: the broker sent " + what);
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

void mqtt_endpoint::count_drop(araldo::counter& c, std::string_view what, std::string_view detail) {
    c.inc();
    if (const auto n = c.value(); araldo::worth_logging(n)) {
        // Topics and ids may be outside bytes: quoted, so they cannot forge a log line.
        ctx_.log().warn("{} {}: dropped ({} so far)", what, araldo::json_quote(detail), n);
    }
}

void mqtt_endpoint::install_tls_hooks() {
    SSL_CTX* ctx = tls_context_->native_handle();
    SSL_CTX_set_ex_data(ctx, tls_owner_index(), this);
    SSL_CTX_set_info_callback(ctx, [](const SSL* ssl, int where, int ret) {
        auto* self = static_cast<mqtt_endpoint*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_owner_index()));
        if (!self) return;
        try {
            self->on_tls_event(const_cast<SSL*>(ssl), where, ret);
        } catch (const std::exception& ex) {
            spdlog::error("endpoint-mqtt: TLS callback failed: {}", ex.what());
        }
    });
}

void mqtt_endpoint::on_tls_event(ssl_st* ssl, int where, int ret) {
    // Fatal alerts only: close_notify, a warning, ends connections that were fine.
    if (!(where & SSL_CB_ALERT) || (ret >> 8) != SSL3_AL_FATAL || !tls_failure_.empty()) return;
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

}  // namespace araldo::plugins::endpoint_mqtt
