#include "mqtt_codec.hpp"

#include <araldo/utf8.hpp>

#include <array>
#include <cstdio>
#include <utility>

namespace araldo::plugins::endpoint_mqtt::codec {

namespace {


// MQTT 5 property identifiers used here.
enum property : std::uint8_t {
    session_expiry_interval = 0x11,
    assigned_client_identifier = 0x12,
    server_keep_alive = 0x13,
    reason_string_property = 0x1F,
    receive_maximum = 0x21,
    topic_alias = 0x23,
    maximum_qos = 0x24,
    retain_available = 0x25,
    maximum_packet_size = 0x27,
};

// ---- writing ----

void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }

void put_u16(std::string& out, std::uint16_t v) {
    put_u8(out, static_cast<std::uint8_t>(v >> 8));
    put_u8(out, static_cast<std::uint8_t>(v & 0xff));
}

void put_u32(std::string& out, std::uint32_t v) {
    put_u16(out, static_cast<std::uint16_t>(v >> 16));
    put_u16(out, static_cast<std::uint16_t>(v & 0xffff));
}

void put_varint(std::string& out, std::size_t v) {
    do {
        auto byte = static_cast<std::uint8_t>(v & 0x7f);
        v >>= 7;
        if (v) byte |= 0x80;
        put_u8(out, byte);
    } while (v);
}

// Strings and binary data: a two-byte length, then the bytes. Callers keep
// them within 65535 bytes (topics are checked; options are bounded).
void put_bytes(std::string& out, std::string_view s) {
    put_u16(out, static_cast<std::uint16_t>(s.size()));
    out.append(s);
}

void put_packet(std::string& out, std::uint8_t first, std::string_view body) {
    put_u8(out, first);
    put_varint(out, body.size());
    out.append(body);
}

// ---- reading ----

class reader {
public:
    explicit reader(std::string_view data) : data_(data) {}

    bool u8(std::uint8_t& v) {
        if (left() < 1) return false;
        v = static_cast<std::uint8_t>(data_[pos_++]);
        return true;
    }
    bool u16(std::uint16_t& v) {
        std::uint8_t hi = 0, lo = 0;
        if (left() < 2) return false;
        u8(hi);
        u8(lo);
        v = static_cast<std::uint16_t>(hi << 8 | lo);
        return true;
    }
    bool u32(std::uint32_t& v) {
        std::uint16_t hi = 0, lo = 0;
        if (left() < 4) return false;
        u16(hi);
        u16(lo);
        v = static_cast<std::uint32_t>(hi) << 16 | lo;
        return true;
    }
    bool varint(std::uint32_t& v) {
        v = 0;
        for (int i = 0; i < 4; ++i) {
            std::uint8_t byte = 0;
            if (!u8(byte)) return false;
            v |= static_cast<std::uint32_t>(byte & 0x7f) << (7 * i);
            if (!(byte & 0x80)) return true;
        }
        return false;
    }
    bool bytes(std::string_view& s) {
        std::uint16_t n = 0;
        if (!u16(n) || left() < n) return false;
        s = data_.substr(pos_, n);
        pos_ += n;
        return true;
    }
    bool take(std::size_t n, std::string_view& s) {
        if (left() < n) return false;
        s = data_.substr(pos_, n);
        pos_ += n;
        return true;
    }
    std::string_view rest() {
        auto s = data_.substr(pos_);
        pos_ = data_.size();
        return s;
    }
    std::size_t left() const { return data_.size() - pos_; }

private:
    std::string_view data_;
    std::size_t pos_ = 0;
};

// One property's value: a number, or the bytes of a string or binary data
// (the first string of a user property's pair).
struct property_value {
    std::uint32_t number = 0;
    std::string_view text;
};

// Reads an MQTT 5 property list, calling on(id, value) for each. False when
// the list is malformed or names a property MQTT 5 does not define.
template <class F>
bool read_properties(reader& r, F&& on) {
    std::uint32_t length = 0;
    std::string_view list;
    if (!r.varint(length) || !r.take(length, list)) return false;
    reader p(list);
    while (p.left() > 0) {
        std::uint32_t id = 0;
        property_value v;
        if (!p.varint(id)) return false;
        bool ok = false;
        switch (id) {
            case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2A: {
                std::uint8_t b = 0;
                ok = p.u8(b);
                v.number = b;
                break;
            }
            case 0x13: case 0x21: case 0x22: case 0x23: {
                std::uint16_t n = 0;
                ok = p.u16(n);
                v.number = n;
                break;
            }
            case 0x02: case 0x11: case 0x18: case 0x27:
                ok = p.u32(v.number);
                break;
            case 0x0B:
                ok = p.varint(v.number);
                break;
            case 0x03: case 0x08: case 0x09: case 0x12: case 0x15: case 0x16: case 0x1A: case 0x1C: case 0x1F:
                ok = p.bytes(v.text);
                break;
            case 0x26: {
                std::string_view value;
                ok = p.bytes(v.text) && p.bytes(value);
                break;
            }
            default:
                return false;
        }
        if (!ok) return false;
        on(static_cast<std::uint8_t>(id), v);
    }
    return true;
}

template <class T>
araldo::result<T> malformed(std::string_view what) {
    return araldo::result<T>::fail("malformed " + std::string(what));
}

}  // namespace

// ---- writing ----

void append_connect(std::string& out, const connect_fields& f) {
    std::string body;
    body.reserve(64 + f.client_id.size());
    put_bytes(body, "MQTT");
    put_u8(body, f.mqtt5 ? 5 : 4);
    std::uint8_t flags = f.clean_start ? 0x02 : 0;
    if (f.will) flags |= static_cast<std::uint8_t>(0x04 | (f.will->qos & 3) << 3 | (f.will->retain ? 0x20 : 0));
    if (f.user) {
        flags |= 0x80;
        if (f.password) flags |= 0x40;  // 3.1.1: a password only with a user name
    }
    put_u8(body, flags);
    put_u16(body, f.keepalive);
    if (f.mqtt5) {
        std::string props;
        if (f.session_expiry) {
            put_u8(props, session_expiry_interval);
            put_u32(props, f.session_expiry);
        }
        if (f.receive_maximum) {
            put_u8(props, receive_maximum);
            put_u16(props, f.receive_maximum);
        }
        if (f.maximum_packet_size) {
            put_u8(props, maximum_packet_size);
            put_u32(props, f.maximum_packet_size);
        }
        put_varint(body, props.size());
        body += props;
    }
    put_bytes(body, f.client_id);
    if (f.will) {
        if (f.mqtt5) put_varint(body, 0);  // no will properties
        put_bytes(body, f.will->topic);
        put_bytes(body, f.will->payload);
    }
    if (f.user) {
        put_bytes(body, *f.user);
        if (f.password) put_bytes(body, *f.password);
    }
    put_packet(out, connect << 4, body);
}

void append_subscribe(std::string& out, bool mqtt5, std::uint16_t id, std::string_view filter, int qos,
                      bool no_local) {
    std::string body;
    put_u16(body, id);
    if (mqtt5) put_varint(body, 0);
    put_bytes(body, filter);
    put_u8(body, static_cast<std::uint8_t>((qos & 3) | (mqtt5 && no_local ? 0x04 : 0)));
    put_packet(out, subscribe << 4 | 0x02, body);
}

void append_publish(std::string& out, bool mqtt5, std::string_view topic, std::string_view payload, int qos,
                    bool retain, bool dup, std::uint16_t id) {
    const std::size_t remaining = 2 + topic.size() + (qos > 0 ? 2 : 0) + (mqtt5 ? 1 : 0) + payload.size();
    put_u8(out, static_cast<std::uint8_t>(publish << 4 | (dup ? 0x08 : 0) | (qos & 3) << 1 | (retain ? 1 : 0)));
    put_varint(out, remaining);
    put_bytes(out, topic);
    if (qos > 0) put_u16(out, id);
    if (mqtt5) put_varint(out, 0);
    out.append(payload);
}

void append_puback(std::string& out, std::uint16_t id) {
    put_u8(out, puback << 4);
    put_u8(out, 2);
    put_u16(out, id);  // MQTT 5: success and no properties may be left out
}

void append_pingreq(std::string& out) {
    put_u8(out, pingreq << 4);
    put_u8(out, 0);
}

void append_disconnect(std::string& out) {
    put_u8(out, disconnect << 4);
    put_u8(out, 0);  // MQTT 5: normal disconnection may be left out
}

void mark_dup(std::string& publish_packet) {
    if (!publish_packet.empty()) publish_packet[0] = static_cast<char>(publish_packet[0] | 0x08);
}

// ---- reading ----

split_status split(std::string_view data, std::size_t max_packet, packet& out, std::size_t& used,
                   std::size_t& total) {
    if (data.empty()) return split_status::need_more;
    std::size_t length = 0;
    std::size_t i = 1;
    for (;; ++i) {
        if (i > 4) return split_status::malformed;
        if (i >= data.size()) return split_status::need_more;
        const auto byte = static_cast<std::uint8_t>(data[i]);
        length |= static_cast<std::size_t>(byte & 0x7f) << (7 * (i - 1));
        if (!(byte & 0x80)) break;
    }
    const auto first = static_cast<std::uint8_t>(data[0]);
    out.type = first >> 4;
    out.flags = first & 0x0f;
    used = i + 1;
    total = used + length;
    if (total > max_packet) return split_status::too_large;
    if (data.size() < total) return split_status::need_more;
    out.body = data.substr(used, length);
    used = total;
    return split_status::packet;
}

araldo::result<connack_fields> parse_connack(const packet& p, bool mqtt5) {
    reader r(p.body);
    connack_fields c;
    std::uint8_t flags = 0;
    if (!r.u8(flags) || !r.u8(c.reason) || (flags & 0xfe)) return malformed<connack_fields>("CONNACK");
    c.session_present = (flags & 1) != 0;
    if (mqtt5 && r.left() > 0) {
        bool sane = true;
        const bool ok = read_properties(r, [&](std::uint8_t id, const property_value& v) {
            switch (id) {
                case receive_maximum: c.receive_maximum = static_cast<std::uint16_t>(v.number); break;
                case maximum_packet_size: c.maximum_packet_size = v.number; break;
                case server_keep_alive: c.server_keepalive = static_cast<std::uint16_t>(v.number); break;
                case maximum_qos: c.maximum_qos = static_cast<std::uint8_t>(v.number); break;
                case retain_available: c.retain_available = v.number != 0; break;
                case reason_string_property: c.reason_string = std::string(v.text); break;
                default: break;
            }
            if ((id == receive_maximum && v.number == 0) || (id == maximum_packet_size && v.number == 0))
                sane = false;
        });
        if (!ok || !sane) return malformed<connack_fields>("CONNACK properties");
    }
    if (r.left() > 0) return malformed<connack_fields>("CONNACK");
    return araldo::result<connack_fields>::ok(std::move(c));
}

araldo::result<publish_fields> parse_publish(const packet& p, bool mqtt5) {
    auto head = parse_publish_head(p.flags, p.body);
    if (!head) return araldo::result<publish_fields>::fail(head.reason());
    // The body is whole: a head that has not all arrived is cut short.
    if (!head.value()) return malformed<publish_fields>("PUBLISH: topic or packet identifier");
    publish_fields f = *head.value();
    reader r(p.body.substr(2 + f.topic.size() + (f.qos > 0 ? 2 : 0)));
    if (mqtt5) {
        bool alias = false;
        if (!read_properties(r, [&](std::uint8_t id, const property_value&) { alias = alias || id == topic_alias; }))
            return malformed<publish_fields>("PUBLISH properties");
        // This client allows no topic alias (it sends no Topic Alias Maximum).
        if (alias) return araldo::result<publish_fields>::fail("a topic alias, which this client does not allow");
    }
    f.payload = r.rest();
    return araldo::result<publish_fields>::ok(f);
}

araldo::result<std::optional<publish_fields>> parse_publish_head(std::uint8_t flags, std::string_view body_start) {
    using R = araldo::result<std::optional<publish_fields>>;
    publish_fields f;
    f.qos = (flags >> 1) & 3;
    f.retain = (flags & 1) != 0;
    f.dup = (flags & 8) != 0;
    if (f.qos == 3) return R::fail("malformed PUBLISH: QoS 3");
    reader r(body_start);
    std::uint16_t topic_length = 0;
    if (!r.u16(topic_length) || !r.take(topic_length, f.topic)) return R::ok(std::nullopt);
    if (f.qos > 0 && !r.u16(f.id)) return R::ok(std::nullopt);
    if (f.qos > 0 && f.id == 0) return R::fail("malformed PUBLISH: packet identifier");
    if (!valid_topic_name(f.topic)) return R::fail("malformed PUBLISH: topic name");
    return R::ok(f);
}

araldo::result<ack_fields> parse_puback(const packet& p, bool mqtt5) {
    reader r(p.body);
    ack_fields a;
    if (!r.u16(a.id) || a.id == 0) return malformed<ack_fields>("PUBACK");
    std::uint8_t reason = 0;
    if (mqtt5 && r.left() > 0) {
        r.u8(reason);
        if (r.left() > 0 && !read_properties(r, [](std::uint8_t, const property_value&) {}))
            return malformed<ack_fields>("PUBACK properties");
    }
    if (r.left() > 0) return malformed<ack_fields>("PUBACK");
    a.reasons.push_back(reason);
    return araldo::result<ack_fields>::ok(std::move(a));
}

araldo::result<ack_fields> parse_suback(const packet& p, bool mqtt5) {
    reader r(p.body);
    ack_fields a;
    if (!r.u16(a.id) || a.id == 0) return malformed<ack_fields>("SUBACK");
    if (mqtt5 && !read_properties(r, [](std::uint8_t, const property_value&) {}))
        return malformed<ack_fields>("SUBACK properties");
    for (std::string_view rest = r.rest(); char c : rest) a.reasons.push_back(static_cast<std::uint8_t>(c));
    if (a.reasons.empty()) return malformed<ack_fields>("SUBACK: no return code");
    return araldo::result<ack_fields>::ok(std::move(a));
}

araldo::result<disconnect_fields> parse_disconnect(const packet& p, bool mqtt5) {
    disconnect_fields d;
    if (!mqtt5) {
        if (!p.body.empty()) return malformed<disconnect_fields>("DISCONNECT");
        return araldo::result<disconnect_fields>::ok(std::move(d));
    }
    reader r(p.body);
    if (r.left() > 0) r.u8(d.reason);
    if (r.left() > 0 && !read_properties(r, [&](std::uint8_t id, const property_value& v) {
            if (id == reason_string_property) d.reason_string = std::string(v.text);
        }))
        return malformed<disconnect_fields>("DISCONNECT properties");
    if (r.left() > 0) return malformed<disconnect_fields>("DISCONNECT");
    return araldo::result<disconnect_fields>::ok(std::move(d));
}

// ---- names ----

namespace {

bool valid_name_bytes(std::string_view s) {
    return !s.empty() && s.size() <= 65535 && s.find('\0') == std::string_view::npos && araldo::valid_utf8(s);
}

}  // namespace

bool valid_topic_name(std::string_view topic) {
    return valid_name_bytes(topic) && topic.find_first_of("+#") == std::string_view::npos;
}

bool valid_topic_filter(std::string_view filter) {
    if (!valid_name_bytes(filter)) return false;
    std::size_t start = 0;
    for (;;) {
        const auto end = filter.find('/', start);
        const auto level = filter.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (level.find_first_of("+#") != std::string_view::npos && level.size() != 1) return false;
        if (level == "#" && end != std::string_view::npos) return false;  // # only last
        if (end == std::string_view::npos) return true;
        start = end + 1;
    }
}

std::string reason_text(std::uint8_t code) {
    static constexpr std::array<std::pair<std::uint8_t, const char*>, 43> table{{
        {0x00, "Success"},
        {0x01, "Granted QoS 1"},
        {0x02, "Granted QoS 2"},
        {0x04, "Disconnect with Will Message"},
        {0x10, "No matching subscribers"},
        {0x11, "No subscription existed"},
        {0x18, "Continue authentication"},
        {0x19, "Re-authenticate"},
        {0x80, "Unspecified error"},
        {0x81, "Malformed Packet"},
        {0x82, "Protocol Error"},
        {0x83, "Implementation specific error"},
        {0x84, "Unsupported Protocol Version"},
        {0x85, "Client Identifier not valid"},
        {0x86, "Bad User Name or Password"},
        {0x87, "Not authorized"},
        {0x88, "Server unavailable"},
        {0x89, "Server busy"},
        {0x8A, "Banned"},
        {0x8B, "Server shutting down"},
        {0x8C, "Bad authentication method"},
        {0x8D, "Keep Alive timeout"},
        {0x8E, "Session taken over"},
        {0x8F, "Topic Filter invalid"},
        {0x90, "Topic Name invalid"},
        {0x91, "Packet Identifier in use"},
        {0x92, "Packet Identifier not found"},
        {0x93, "Receive Maximum exceeded"},
        {0x94, "Topic Alias invalid"},
        {0x95, "Packet too large"},
        {0x96, "Message rate too high"},
        {0x97, "Quota exceeded"},
        {0x98, "Administrative action"},
        {0x99, "Payload format invalid"},
        {0x9A, "Retain not supported"},
        {0x9B, "QoS not supported"},
        {0x9C, "Use another server"},
        {0x9D, "Server moved"},
        {0x9E, "Shared Subscriptions not supported"},
        {0x9F, "Connection rate exceeded"},
        {0xA0, "Maximum connect time"},
        {0xA1, "Subscription Identifiers not supported"},
        {0xA2, "Wildcard Subscriptions not supported"},
    }};
    for (const auto& [c, text] : table) {
        if (c == code) return text;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "reason code 0x%02X", code);
    return buf;
}

std::string connack_text_v311(std::uint8_t code) {
    switch (code) {
        case 0: return "Connection Accepted";
        case 1: return "Connection Refused: unacceptable protocol version";
        case 2: return "Connection Refused: identifier rejected";
        case 3: return "Connection Refused: broker unavailable";
        case 4: return "Connection Refused: bad user name or password";
        case 5: return "Connection Refused: not authorised";
        default: return "Connection Refused: return code " + std::to_string(code);
    }
}

}  // namespace araldo::plugins::endpoint_mqtt::codec
