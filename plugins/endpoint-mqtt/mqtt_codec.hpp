// MQTT 3.1.1 and 5.0 packets, the subset a client that subscribes at QoS 0
// or 1 and publishes at QoS 0 or 1 needs: writing CONNECT, SUBSCRIBE,
// PUBLISH, PUBACK, PINGREQ and DISCONNECT; reading CONNACK, PUBLISH, PUBACK,
// SUBACK, PINGRESP and DISCONNECT. No sockets: bytes in, values out, so the
// reading side is fuzzed (fuzz/mqtt_packet_fuzz.cpp) and unit tested alone.
#pragma once

#include <araldo/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_mqtt::codec {

enum packet_type : std::uint8_t {
    connect = 1,
    connack = 2,
    publish = 3,
    puback = 4,
    pubrec = 5,
    pubrel = 6,
    pubcomp = 7,
    subscribe = 8,
    suback = 9,
    unsubscribe = 10,
    unsuback = 11,
    pingreq = 12,
    pingresp = 13,
    disconnect = 14,
    auth = 15,
};

// Packet ids run from 1 to 65535 (0 is not one).
inline constexpr std::size_t max_packet_id = 65535;

// ---- writing: each appends one whole packet to `out` ----

struct will_fields {
    std::string_view topic;
    std::string_view payload;
    int qos = 0;
    bool retain = false;
};

struct connect_fields {
    bool mqtt5 = true;
    std::string_view client_id;  // may be empty: the broker assigns one (clean start only)
    bool clean_start = true;
    std::uint16_t keepalive = 60;  // seconds
    // MQTT 5 properties; 0 leaves a property out.
    std::uint32_t session_expiry = 0;
    std::uint16_t receive_maximum = 0;
    std::uint32_t maximum_packet_size = 0;
    std::optional<will_fields> will;
    std::optional<std::string_view> user;
    std::optional<std::string_view> password;
};

void append_connect(std::string& out, const connect_fields& f);
// One filter; MQTT 5's no-local keeps what this client publishes from coming back.
void append_subscribe(std::string& out, bool mqtt5, std::uint16_t id, std::string_view filter, int qos,
                      bool no_local);
// `id` is written only for a QoS above 0.
void append_publish(std::string& out, bool mqtt5, std::string_view topic, std::string_view payload, int qos,
                    bool retain, bool dup, std::uint16_t id);
void append_puback(std::string& out, std::uint16_t id);
void append_pingreq(std::string& out);
void append_disconnect(std::string& out);  // normal disconnection, in either version
// Sets the DUP flag of a PUBLISH written by append_publish, for its resend.
void mark_dup(std::string& publish_packet);

// ---- reading ----

struct packet {
    std::uint8_t type = 0;   // packet_type
    std::uint8_t flags = 0;  // the low four bits of the first byte
    std::string_view body;   // after the fixed header
};

enum class split_status {
    packet,     // `out` and `used` are set
    need_more,  // not a whole packet yet
    malformed,  // the remaining length is not a valid variable byte integer
    too_large,  // a whole packet would exceed `max_packet`; `out.type`, `out.flags` and `used`
                // (the fixed header's length) and `total` (the whole packet's) are set
};

// Takes the first packet off `data`. `total` is set for packet and too_large.
split_status split(std::string_view data, std::size_t max_packet, packet& out, std::size_t& used,
                   std::size_t& total);

struct connack_fields {
    bool session_present = false;
    std::uint8_t reason = 0;  // 0: accepted; else MQTT 5's reason code or 3.1.1's return code
    // MQTT 5 properties, when the broker sent them.
    std::uint16_t receive_maximum = 65535;
    std::uint32_t maximum_packet_size = 0;  // 0: no limit given
    std::optional<std::uint16_t> server_keepalive;
    std::uint8_t maximum_qos = 2;
    bool retain_available = true;
    std::string reason_string;
};
araldo::result<connack_fields> parse_connack(const packet& p, bool mqtt5);

struct publish_fields {
    std::string_view topic;
    int qos = 0;
    bool retain = false;
    bool dup = false;
    std::uint16_t id = 0;  // QoS 1 and 2 only
    std::string_view payload;
};
araldo::result<publish_fields> parse_publish(const packet& p, bool mqtt5);
// The start of a PUBLISH too large to hold: its topic and packet id from the
// first bytes of its body (what arrived so far). Empty when they have not all
// arrived yet; fails when they are malformed. The payload is left empty.
araldo::result<std::optional<publish_fields>> parse_publish_head(std::uint8_t flags, std::string_view body_start);

struct ack_fields {
    std::uint16_t id = 0;
    std::vector<std::uint8_t> reasons;  // PUBACK: one (0 when left out); SUBACK: one per filter
};
araldo::result<ack_fields> parse_puback(const packet& p, bool mqtt5);
araldo::result<ack_fields> parse_suback(const packet& p, bool mqtt5);

struct disconnect_fields {
    std::uint8_t reason = 0;
    std::string reason_string;
};
araldo::result<disconnect_fields> parse_disconnect(const packet& p, bool mqtt5);

// ---- names ----

// A topic a PUBLISH may name: 1 to 65535 bytes of UTF-8, no + or #, no NUL.
bool valid_topic_name(std::string_view topic);
// A filter: + alone in its level, # alone and last.
bool valid_topic_filter(std::string_view filter);

// MQTT 5 reason codes and 3.1.1 CONNACK return codes, in words.
std::string reason_text(std::uint8_t code);
std::string connack_text_v311(std::uint8_t code);

}  // namespace araldo::plugins::endpoint_mqtt::codec
