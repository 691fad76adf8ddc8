// endpoint-mqtt's reading side (mqtt_codec.cpp): bytes from an MQTT broker,
// or from whatever answers on its port, cut into packets by split() and each
// packet read by the parse_* function for its type, as MQTT 5 and as 3.1.1;
// the start of a packet too large to hold read by parse_publish_head. Twice:
// with a small packet limit (256 bytes, so that too_large is reachable from
// a few bytes) and with the session's default (1 MiB + 70 KiB).
//
// Properties: reading never goes past the input (ASan); split's packets and
// verdicts do not depend on how the stream was cut (all of it at once, or
// grown a byte at a time); its `used` and `total` stay within their bounds
// (a packet lies inside the input and within the limit; a fixed header is 2
// to 5 bytes); a PUBLISH that reads has a valid topic name, a topic and a
// payload inside the input, the same head from parse_publish_head, and
// written again by append_publish reads back the same fields (byte for byte
// when nothing was dropped: a shortest remaining length and, in MQTT 5, no
// properties); every failure says why.
#include "fuzz_check.hpp"
#include "mqtt_codec.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mc = araldo::plugins::endpoint_mqtt::codec;

namespace {

constexpr std::size_t small_max = 256;
constexpr std::size_t session_max = 1024 * 1024 + 70 * 1024;  // mqtt_session.cpp: max-message-size + overhead
constexpr std::size_t max_remaining_length = 268'435'455;

// `part` is a view of `whole` (an empty view anywhere counts).
bool inside(std::string_view part, std::string_view whole) {
    if (part.empty()) return true;
    const std::less_equal<const char*> le;
    return le(whole.data(), part.data()) && le(part.data() + part.size(), whole.data() + whole.size());
}

// The shortest variable byte integer for n.
std::size_t varint_size(std::size_t n) {
    return n < 128 ? 1 : n < 16'384 ? 2 : n < 2'097'152 ? 3 : 4;
}

template <class R>
bool failed_with_reason(const R& r) {
    if (r) return false;
    FUZZ_CHECK(!r.reason().empty());
    return true;
}

bool same_publish(const mc::publish_fields& a, const mc::publish_fields& b) {
    return a.topic == b.topic && a.payload == b.payload && a.qos == b.qos && a.retain == b.retain &&
           a.dup == b.dup && a.id == b.id;
}

bool same_head(const mc::publish_fields& a, const mc::publish_fields& b) {
    return a.topic == b.topic && a.qos == b.qos && a.retain == b.retain && a.dup == b.dup && a.id == b.id;
}

// A whole PUBLISH (`raw`: its fixed header and body) read as one version.
void check_publish(const mc::packet& p, std::string_view raw, bool mqtt5) {
    auto r = mc::parse_publish(p, mqtt5);
    if (failed_with_reason(r)) return;
    const mc::publish_fields& f = r.value();
    FUZZ_CHECK(mc::valid_topic_name(f.topic));
    FUZZ_CHECK(inside(f.topic, p.body));
    FUZZ_CHECK(inside(f.payload, p.body));
    FUZZ_CHECK(f.payload.data() + f.payload.size() == p.body.data() + p.body.size());  // the rest of the body
    FUZZ_CHECK(f.qos >= 0 && f.qos <= 2);
    FUZZ_CHECK((f.qos == 0) == (f.id == 0));
    FUZZ_CHECK(f.retain == ((p.flags & 1) != 0) && f.dup == ((p.flags & 8) != 0));

    // Its head, from the whole body and from just enough of it; one byte less is not enough yet.
    const std::size_t head_size = 2 + f.topic.size() + (f.qos > 0 ? 2 : 0);
    FUZZ_CHECK(head_size <= p.body.size());
    for (std::string_view start : {p.body, p.body.substr(0, head_size)}) {
        auto head = mc::parse_publish_head(p.flags, start);
        FUZZ_CHECK(head && head.value());
        FUZZ_CHECK(same_head(*head.value(), f));
        FUZZ_CHECK(head.value()->payload.empty());
    }
    auto short_head = mc::parse_publish_head(p.flags, p.body.substr(0, head_size - 1));
    FUZZ_CHECK(short_head && !short_head.value());

    // Written again and read back.
    std::string again;
    mc::append_publish(again, mqtt5, f.topic, f.payload, f.qos, f.retain, f.dup, f.id);
    mc::packet q;
    std::size_t used = 0, total = 0;
    FUZZ_CHECK(mc::split(again, again.size(), q, used, total) == mc::split_status::packet);
    FUZZ_CHECK(used == again.size() && total == again.size());
    FUZZ_CHECK(q.type == mc::publish && q.flags == p.flags);
    auto back = mc::parse_publish(q, mqtt5);
    FUZZ_CHECK(back);
    FUZZ_CHECK(same_publish(back.value(), f));
    const bool shortest_length = raw.size() - p.body.size() == 1 + varint_size(p.body.size());
    const bool no_properties = !mqtt5 || static_cast<std::uint8_t>(p.body[head_size]) == 0;
    if (shortest_length && no_properties) FUZZ_CHECK(again == raw);

    // mark_dup is the dup argument.
    if (!f.dup) {
        std::string dup;
        mc::append_publish(dup, mqtt5, f.topic, f.payload, f.qos, f.retain, true, f.id);
        mc::mark_dup(again);
        FUZZ_CHECK(again == dup);
    }
}

// A whole packet, read by the function for its type, as each version.
void check_packet(const mc::packet& p, std::string_view raw) {
    for (bool mqtt5 : {false, true}) {
        switch (p.type) {
            case mc::connack: {
                auto r = mc::parse_connack(p, mqtt5);
                if (failed_with_reason(r)) break;
                const auto& c = r.value();
                if (!mqtt5) FUZZ_CHECK(p.body.size() == 2);
                FUZZ_CHECK(c.receive_maximum != 0);
                FUZZ_CHECK(!(mqtt5 ? mc::reason_text(c.reason) : mc::connack_text_v311(c.reason)).empty());
                break;
            }
            case mc::publish:
                check_publish(p, raw, mqtt5);
                break;
            case mc::puback: {
                auto r = mc::parse_puback(p, mqtt5);
                if (failed_with_reason(r)) break;
                FUZZ_CHECK(r.value().id != 0);
                FUZZ_CHECK(r.value().reasons.size() == 1);
                if (!mqtt5) FUZZ_CHECK(p.body.size() == 2 && r.value().reasons[0] == 0);
                FUZZ_CHECK(!mc::reason_text(r.value().reasons[0]).empty());
                break;
            }
            case mc::suback: {
                auto r = mc::parse_suback(p, mqtt5);
                if (failed_with_reason(r)) break;
                FUZZ_CHECK(r.value().id != 0);
                FUZZ_CHECK(!r.value().reasons.empty());
                FUZZ_CHECK(r.value().reasons.size() <= p.body.size() - 2);
                if (!mqtt5) FUZZ_CHECK(r.value().reasons.size() == p.body.size() - 2);
                break;
            }
            case mc::disconnect: {
                auto r = mc::parse_disconnect(p, mqtt5);
                if (failed_with_reason(r)) break;
                if (!mqtt5) FUZZ_CHECK(p.body.empty() && r.value().reason == 0);
                if (p.body.empty()) FUZZ_CHECK(r.value().reason == 0);
                FUZZ_CHECK(r.value().reason_string.size() <= p.body.size());
                break;
            }
            default:
                break;
        }
    }
}

// The start of a packet over the limit, with what arrived of its body.
void check_too_large(const mc::packet& p, std::string_view body_start) {
    if (p.type != mc::publish) return;
    auto head = mc::parse_publish_head(p.flags, body_start);
    if (failed_with_reason(head) || !head.value()) return;
    const mc::publish_fields& f = *head.value();
    FUZZ_CHECK(mc::valid_topic_name(f.topic));
    FUZZ_CHECK(inside(f.topic, body_start));
    FUZZ_CHECK(f.payload.empty());
    FUZZ_CHECK((f.qos == 0) == (f.id == 0));
}

// What split said, one entry per call that ended a step.
struct verdict {
    mc::split_status status;
    std::uint8_t type = 0, flags = 0;
    std::size_t used = 0, total = 0, offset = 0;  // offset: where the packet starts in the stream
    bool operator==(const verdict&) const = default;
};

// Splits the whole stream at once, checking each verdict and reading each packet.
std::vector<verdict> split_whole(std::string_view stream, std::size_t max_packet) {
    std::vector<verdict> log;
    for (std::size_t pos = 0;;) {
        const std::string_view rest = stream.substr(pos);
        mc::packet p;
        std::size_t used = 0, total = 0;
        const auto status = mc::split(rest, max_packet, p, used, total);
        verdict v{status};
        v.offset = pos;
        switch (status) {
            case mc::split_status::need_more:
                log.push_back(v);
                return log;
            case mc::split_status::malformed:
                FUZZ_CHECK(rest.size() >= 5);
                for (std::size_t i = 1; i <= 4; ++i) FUZZ_CHECK(static_cast<std::uint8_t>(rest[i]) & 0x80);
                log.push_back(v);
                return log;
            case mc::split_status::too_large: {
                FUZZ_CHECK(used >= 2 && used <= 5 && used <= rest.size());
                FUZZ_CHECK(total > max_packet && total > used && total - used <= max_remaining_length);
                FUZZ_CHECK(p.type == static_cast<std::uint8_t>(rest[0]) >> 4);
                FUZZ_CHECK(p.flags == (static_cast<std::uint8_t>(rest[0]) & 0x0f));
                v.type = p.type;
                v.flags = p.flags;
                v.used = used;
                v.total = total;
                log.push_back(v);
                check_too_large(p, rest.substr(used, total - used));
                if (total > rest.size()) return log;
                pos += total;  // skipped, as the session does
                break;
            }
            case mc::split_status::packet: {
                FUZZ_CHECK(used == total && total <= max_packet && total <= rest.size());
                const std::size_t header = total - p.body.size();
                FUZZ_CHECK(header >= 2 && header <= 5);
                FUZZ_CHECK(p.body.data() == rest.data() + header);
                FUZZ_CHECK(p.type == static_cast<std::uint8_t>(rest[0]) >> 4);
                FUZZ_CHECK(p.flags == (static_cast<std::uint8_t>(rest[0]) & 0x0f));
                v.type = p.type;
                v.flags = p.flags;
                v.used = used;
                v.total = total;
                log.push_back(v);
                check_packet(p, rest.substr(0, total));
                pos += total;
                break;
            }
        }
    }
}

// The same stream as it arrives a byte at a time: each step is given only
// what arrived so far, and waits for more while split says so.
std::vector<verdict> split_grown(std::string_view stream, std::size_t max_packet) {
    std::vector<verdict> log;
    for (std::size_t pos = 0;;) {
        mc::packet p;
        std::size_t used = 0, total = 0;
        auto status = mc::split_status::need_more;
        for (std::size_t n = 0; pos + n <= stream.size(); ++n) {
            status = mc::split(stream.substr(pos, n), max_packet, p, used, total);
            if (status != mc::split_status::need_more) break;
        }
        verdict v{status};
        v.offset = pos;
        if (status == mc::split_status::need_more || status == mc::split_status::malformed) {
            log.push_back(v);
            return log;
        }
        v.type = p.type;
        v.flags = p.flags;
        v.used = used;
        v.total = total;
        log.push_back(v);
        if (total > stream.size() - pos) return log;
        pos += total;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view stream{reinterpret_cast<const char*>(data), size};
    for (std::size_t max_packet : {small_max, session_max}) {
        const auto whole = split_whole(stream, max_packet);
        FUZZ_CHECK(whole == split_grown(stream, max_packet));
    }
    return 0;
}
