// endpoint-mqtt's packet codec (mqtt_codec.cpp) without a broker: the bytes
// each writer produces and what each reader makes of a broker's bytes. The
// expected bytes are written out by hand from the MQTT 3.1.1 and 5.0
// specifications, never produced by the codec itself.
#include "mqtt_codec.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace codec = araldo::plugins::endpoint_mqtt::codec;

namespace {

// Raw bytes, written as numbers (a "\x03a" literal would swallow the 'a').
std::string bin(std::initializer_list<int> bytes) {
    std::string s;
    for (int b : bytes) s.push_back(static_cast<char>(b));
    return s;
}

// "30 07 00 03 61": byte strings compare readably in a failure message.
std::string hex(std::string_view s) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (!out.empty()) out += ' ';
        out += digits[b >> 4];
        out += digits[b & 0x0f];
    }
    return out;
}

codec::packet make_packet(std::uint8_t type, std::uint8_t flags, std::string_view body) {
    codec::packet p;
    p.type = type;
    p.flags = flags;
    p.body = body;
    return p;
}

std::vector<std::uint8_t> reasons(std::initializer_list<int> codes) {
    std::vector<std::uint8_t> v;
    for (int c : codes) v.push_back(static_cast<std::uint8_t>(c));
    return v;
}

}  // namespace

// ---- writing ----

TEST_CASE("mqtt codec: CONNECT in 3.1.1", "[mqtt][codec]") {
    SECTION("client id, clean session, keep alive") {
        codec::connect_fields f;
        f.mqtt5 = false;
        f.client_id = "c1";
        f.keepalive = 60;
        std::string out;
        codec::append_connect(out, f);
        // Protocol name "MQTT", level 4, flags: clean session; keep alive 60; the client id.
        CHECK(hex(out) == hex(bin({0x10, 0x0E, 0x00, 0x04}) + "MQTT" + bin({0x04, 0x02, 0x00, 0x3C, 0x00, 0x02}) + "c1"));
    }
    SECTION("will at QoS 0 and a user name without a password, no clean session") {
        codec::connect_fields f;
        f.mqtt5 = false;
        f.client_id = "x";
        f.clean_start = false;
        f.keepalive = 0;
        f.will = codec::will_fields{"t", "", 0, false};
        f.user = "u";
        // Flags: user name 0x80, will flag 0x04.
        std::string out;
        codec::append_connect(out, f);
        CHECK(hex(out) == hex(bin({0x10, 0x15, 0x00, 0x04}) + "MQTT" + bin({0x04, 0x84, 0x00, 0x00}) +
                              bin({0x00, 0x01}) + "x" + bin({0x00, 0x01}) + "t" + bin({0x00, 0x00}) +
                              bin({0x00, 0x01}) + "u"));
    }
    SECTION("will with QoS 1 and retain, user name and password") {
        codec::connect_fields f;
        f.mqtt5 = false;
        f.client_id = "id";
        f.will = codec::will_fields{"w/t", "bye", 1, true};
        f.user = "u";
        f.password = "pw";
        // Flags: user 0x80, password 0x40, will retain 0x20, will QoS 1 0x08, will 0x04, clean 0x02.
        std::string out;
        codec::append_connect(out, f);
        CHECK(hex(out) == hex(bin({0x10, 0x1F, 0x00, 0x04}) + "MQTT" + bin({0x04, 0xEE, 0x00, 0x3C}) +
                              bin({0x00, 0x02}) + "id" + bin({0x00, 0x03}) + "w/t" + bin({0x00, 0x03}) + "bye" +
                              bin({0x00, 0x01}) + "u" + bin({0x00, 0x02}) + "pw"));
    }
    SECTION("a password without a user name is left out (3.1.1 allows none)") {
        codec::connect_fields f;
        f.mqtt5 = false;
        f.client_id = "c";
        f.password = "secret";
        std::string out;
        codec::append_connect(out, f);
        CHECK(hex(out) == hex(bin({0x10, 0x0D, 0x00, 0x04}) + "MQTT" + bin({0x04, 0x02, 0x00, 0x3C, 0x00, 0x01}) + "c"));
    }
    SECTION("MQTT 5 properties are never written in 3.1.1") {
        codec::connect_fields f;
        f.mqtt5 = false;
        f.client_id = "c1";
        f.session_expiry = 3600;
        f.receive_maximum = 20;
        f.maximum_packet_size = 1 << 20;
        std::string out;
        codec::append_connect(out, f);
        CHECK(hex(out) == hex(bin({0x10, 0x0E, 0x00, 0x04}) + "MQTT" + bin({0x04, 0x02, 0x00, 0x3C, 0x00, 0x02}) + "c1"));
    }
}

TEST_CASE("mqtt codec: CONNECT in MQTT 5", "[mqtt][codec]") {
    SECTION("empty client id, no properties") {
        codec::connect_fields f;
        f.client_id = "";
        std::string out;
        codec::append_connect(out, f);
        // Level 5, clean start, keep alive 60, property length 0, a zero-length client id.
        CHECK(hex(out) == hex(bin({0x10, 0x0D, 0x00, 0x04}) + "MQTT" + bin({0x05, 0x02, 0x00, 0x3C, 0x00, 0x00, 0x00})));
    }
    SECTION("session expiry, receive maximum and maximum packet size") {
        codec::connect_fields f;
        f.client_id = "";
        f.keepalive = 30;
        f.session_expiry = 3600;
        f.receive_maximum = 20;
        f.maximum_packet_size = 1048576;
        std::string out;
        codec::append_connect(out, f);
        // Properties (13 bytes): 0x11 Session Expiry Interval (four bytes), 0x21 Receive
        // Maximum (two), 0x27 Maximum Packet Size (four).
        CHECK(hex(out) == hex(bin({0x10, 0x1A, 0x00, 0x04}) + "MQTT" + bin({0x05, 0x02, 0x00, 0x1E, 0x0D}) +
                              bin({0x11, 0x00, 0x00, 0x0E, 0x10}) + bin({0x21, 0x00, 0x14}) +
                              bin({0x27, 0x00, 0x10, 0x00, 0x00}) + bin({0x00, 0x00})));
    }
    SECTION("only the properties that are set") {
        codec::connect_fields f;
        f.client_id = "a";
        f.receive_maximum = 1;
        std::string out;
        codec::append_connect(out, f);
        CHECK(hex(out) == hex(bin({0x10, 0x11, 0x00, 0x04}) + "MQTT" + bin({0x05, 0x02, 0x00, 0x3C, 0x03}) +
                              bin({0x21, 0x00, 0x01}) + bin({0x00, 0x01}) + "a"));
    }
    SECTION("will (with its empty property list), user name and password") {
        codec::connect_fields f;
        f.client_id = "id";
        f.will = codec::will_fields{"w/t", "bye", 1, true};
        f.user = "u";
        f.password = "pw";
        std::string out;
        codec::append_connect(out, f);
        CHECK(hex(out) == hex(bin({0x10, 0x21, 0x00, 0x04}) + "MQTT" + bin({0x05, 0xEE, 0x00, 0x3C, 0x00}) +
                              bin({0x00, 0x02}) + "id" + bin({0x00}) + bin({0x00, 0x03}) + "w/t" +
                              bin({0x00, 0x03}) + "bye" + bin({0x00, 0x01}) + "u" + bin({0x00, 0x02}) + "pw"));
    }
    SECTION("will at QoS 0 without retain, no user") {
        codec::connect_fields f;
        f.client_id = "";
        f.will = codec::will_fields{"t", "x", 0, false};
        std::string out;
        codec::append_connect(out, f);
        CHECK(hex(out) == hex(bin({0x10, 0x14, 0x00, 0x04}) + "MQTT" + bin({0x05, 0x06, 0x00, 0x3C, 0x00}) +
                              bin({0x00, 0x00}) + bin({0x00}) + bin({0x00, 0x01}) + "t" + bin({0x00, 0x01}) + "x"));
    }
    SECTION("appends after what the buffer holds") {
        codec::connect_fields f;
        f.client_id = "";
        std::string out = "ab";
        codec::append_connect(out, f);
        REQUIRE(out.size() == 2 + 15);
        CHECK(out.substr(0, 3) == "ab\x10");
    }
}

TEST_CASE("mqtt codec: SUBSCRIBE", "[mqtt][codec]") {
    std::string out;
    SECTION("3.1.1: reserved flags 0010, id, filter, requested QoS") {
        codec::append_subscribe(out, false, 10, "a/+", 1, false);
        CHECK(hex(out) == hex(bin({0x82, 0x08, 0x00, 0x0A, 0x00, 0x03}) + "a/+" + bin({0x01})));
    }
    SECTION("3.1.1 has no no-local bit") {
        codec::append_subscribe(out, false, 10, "a/+", 1, true);
        CHECK(hex(out) == hex(bin({0x82, 0x08, 0x00, 0x0A, 0x00, 0x03}) + "a/+" + bin({0x01})));
    }
    SECTION("5 with no local: property length 0, options QoS 1 | no local 0x04") {
        codec::append_subscribe(out, true, 1, "#", 1, true);
        CHECK(hex(out) == hex(bin({0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01}) + "#" + bin({0x05})));
    }
    SECTION("5 at QoS 0 without no local") {
        codec::append_subscribe(out, true, 0x1234, "s/t", 0, false);
        CHECK(hex(out) == hex(bin({0x82, 0x09, 0x12, 0x34, 0x00, 0x00, 0x03}) + "s/t" + bin({0x00})));
    }
}

TEST_CASE("mqtt codec: PUBLISH and mark_dup", "[mqtt][codec]") {
    std::string out;
    SECTION("3.1.1 QoS 0: no packet identifier") {
        codec::append_publish(out, false, "a/b", "hi", 0, false, false, 99);
        CHECK(hex(out) == hex(bin({0x30, 0x07, 0x00, 0x03}) + "a/b" + "hi"));
    }
    SECTION("3.1.1 QoS 1, retain") {
        codec::append_publish(out, false, "a/b", "hi", 1, true, false, 0x1234);
        CHECK(hex(out) == hex(bin({0x33, 0x09, 0x00, 0x03}) + "a/b" + bin({0x12, 0x34}) + "hi"));
    }
    SECTION("3.1.1 QoS 1, dup") {
        codec::append_publish(out, false, "a/b", "hi", 1, false, true, 7);
        CHECK(hex(out) == hex(bin({0x3A, 0x09, 0x00, 0x03}) + "a/b" + bin({0x00, 0x07}) + "hi"));
    }
    SECTION("5 QoS 0: an empty property list") {
        codec::append_publish(out, true, "a/b", "hi", 0, false, false, 0);
        CHECK(hex(out) == hex(bin({0x30, 0x08, 0x00, 0x03}) + "a/b" + bin({0x00}) + "hi"));
    }
    SECTION("5 QoS 1, retain: id before the property list") {
        codec::append_publish(out, true, "a/b", "hi", 1, true, false, 7);
        CHECK(hex(out) == hex(bin({0x33, 0x0A, 0x00, 0x03}) + "a/b" + bin({0x00, 0x07, 0x00}) + "hi"));
    }
    SECTION("an empty payload") {
        codec::append_publish(out, false, "t", "", 0, false, false, 0);
        CHECK(hex(out) == hex(bin({0x30, 0x03, 0x00, 0x01}) + "t"));
    }
    SECTION("remaining length 127 takes one byte, 128 two") {
        codec::append_publish(out, false, "t", std::string(124, 'x'), 0, false, false, 0);
        CHECK(hex(out.substr(0, 5)) == hex(bin({0x30, 0x7F, 0x00, 0x01}) + "t"));
        CHECK(out.size() == 2 + 127);
        out.clear();
        codec::append_publish(out, false, "t", std::string(125, 'x'), 0, false, false, 0);
        CHECK(hex(out.substr(0, 6)) == hex(bin({0x30, 0x80, 0x01, 0x00, 0x01}) + "t"));
        CHECK(out.size() == 3 + 128);
    }
    SECTION("a 200-byte payload: remaining length 203 = 0xCB 0x01") {
        const std::string payload(200, 'p');
        codec::append_publish(out, false, "t", payload, 0, false, false, 0);
        CHECK(hex(out) == hex(bin({0x30, 0xCB, 0x01, 0x00, 0x01}) + "t" + payload));
    }
    SECTION("a 5 QoS 1 payload of 300 bytes: remaining length 2+3+2+1+300 = 308 = 0xB4 0x02") {
        const std::string payload(300, 'q');
        codec::append_publish(out, true, "a/b", payload, 1, false, false, 1);
        CHECK(hex(out) == hex(bin({0x32, 0xB4, 0x02, 0x00, 0x03}) + "a/b" + bin({0x00, 0x01, 0x00}) + payload));
    }
    SECTION("remaining length 16384 takes three bytes") {
        codec::append_publish(out, false, "t", std::string(16381, 'x'), 0, false, false, 0);
        CHECK(hex(out.substr(0, 4)) == hex(bin({0x30, 0x80, 0x80, 0x01})));
        CHECK(out.size() == 4 + 16384);
    }
    SECTION("mark_dup sets bit 3 of the first byte only") {
        codec::append_publish(out, false, "a/b", "hi", 1, true, false, 0x1234);
        const std::string before = out;
        codec::mark_dup(out);
        CHECK(hex(out) == hex(bin({0x3B, 0x09, 0x00, 0x03}) + "a/b" + bin({0x12, 0x34}) + "hi"));
        CHECK(out.substr(1) == before.substr(1));
        codec::mark_dup(out);  // twice is once
        CHECK(static_cast<std::uint8_t>(out[0]) == 0x3B);
        std::string empty;
        codec::mark_dup(empty);
        CHECK(empty.empty());
    }
}

TEST_CASE("mqtt codec: PUBACK, PINGREQ, DISCONNECT", "[mqtt][codec]") {
    std::string out;
    codec::append_puback(out, 0x1234);
    CHECK(hex(out) == hex(bin({0x40, 0x02, 0x12, 0x34})));
    out.clear();
    codec::append_pingreq(out);
    CHECK(hex(out) == hex(bin({0xC0, 0x00})));
    out.clear();
    codec::append_disconnect(out);
    CHECK(hex(out) == hex(bin({0xE0, 0x00})));
    // Each appends: three packets back to back.
    out.clear();
    codec::append_pingreq(out);
    codec::append_puback(out, 1);
    codec::append_disconnect(out);
    CHECK(hex(out) == hex(bin({0xC0, 0x00, 0x40, 0x02, 0x00, 0x01, 0xE0, 0x00})));
}

// ---- split ----

TEST_CASE("mqtt codec: split waits for a whole packet", "[mqtt][codec]") {
    const std::string bytes = bin({0x33, 0x09, 0x00, 0x03}) + "a/b" + bin({0x12, 0x34}) + "hi";
    codec::packet p;
    std::size_t used = 99, total = 99;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        INFO("prefix of " << n << " bytes");
        CHECK(codec::split(std::string_view(bytes).substr(0, n), 1024, p, used, total) ==
              codec::split_status::need_more);
    }
    REQUIRE(codec::split(bytes, 1024, p, used, total) == codec::split_status::packet);
    CHECK(p.type == codec::publish);
    CHECK(p.flags == 0x03);
    CHECK(hex(p.body) == hex(bytes.substr(2)));
    CHECK(p.body.data() - bytes.data() == 2);  // a view of the input
    CHECK(used == 11);
    CHECK(total == 11);
}

TEST_CASE("mqtt codec: split takes packets off a stream one by one", "[mqtt][codec]") {
    // CONNACK, SUBACK, PINGRESP, PUBLISH QoS 0, an empty-bodied DISCONNECT, then the start of a PUBACK.
    const std::string stream = bin({0x20, 0x02, 0x00, 0x00}) + bin({0x90, 0x03, 0x00, 0x01, 0x01}) +
                               bin({0xD0, 0x00}) + bin({0x30, 0x05, 0x00, 0x01}) + "t" + "ok" +
                               bin({0xE0, 0x00}) + bin({0x40, 0x02, 0x00});
    struct expected {
        std::uint8_t type;
        std::uint8_t flags;
        std::string body;
    };
    const std::vector<expected> want{
        {codec::connack, 0, bin({0x00, 0x00})},
        {codec::suback, 0, bin({0x00, 0x01, 0x01})},
        {codec::pingresp, 0, ""},
        {codec::publish, 0, bin({0x00, 0x01}) + "tok"},
        {codec::disconnect, 0, ""},
    };
    std::string_view rest = stream;
    for (const auto& w : want) {
        codec::packet p;
        std::size_t used = 0, total = 0;
        REQUIRE(codec::split(rest, 268'435'460, p, used, total) == codec::split_status::packet);
        CHECK(p.type == w.type);
        CHECK(p.flags == w.flags);
        CHECK(hex(p.body) == hex(w.body));
        CHECK(used == 2 + w.body.size());
        CHECK(total == used);
        rest.remove_prefix(used);
    }
    codec::packet p;
    std::size_t used = 0, total = 0;
    CHECK(rest.size() == 3);
    CHECK(codec::split(rest, 1024, p, used, total) == codec::split_status::need_more);
}

TEST_CASE("mqtt codec: split's limits", "[mqtt][codec]") {
    codec::packet p;
    std::size_t used = 0, total = 0;
    SECTION("a remaining length that runs into a fifth byte is malformed") {
        CHECK(codec::split(bin({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}), 1 << 30, p, used, total) ==
              codec::split_status::malformed);
        CHECK(codec::split(bin({0x30, 0x80, 0x80, 0x80, 0x80, 0x00}), 1 << 30, p, used, total) ==
              codec::split_status::malformed);
        // Known as soon as the fourth length byte says it continues.
        CHECK(codec::split(bin({0x30, 0x80, 0x80, 0x80, 0x80}), 1 << 30, p, used, total) ==
              codec::split_status::malformed);
        CHECK(codec::split(bin({0x30, 0x80, 0x80, 0x80}), 1 << 30, p, used, total) ==
              codec::split_status::need_more);
    }
    SECTION("too large: type, flags, the fixed header's length and the whole packet's") {
        const std::string head = bin({0x3B, 0xCB, 0x01, 0x00, 0x01}) + "t";  // remaining length 203
        REQUIRE(codec::split(head, 100, p, used, total) == codec::split_status::too_large);
        CHECK(p.type == codec::publish);
        CHECK(p.flags == 0x0B);
        CHECK(used == 3);
        CHECK(total == 206);
        // Known from the fixed header alone.
        REQUIRE(codec::split(head.substr(0, 3), 205, p, used, total) == codec::split_status::too_large);
        CHECK(used == 3);
        CHECK(total == 206);
        // Whole and exactly at the limit: a packet.
        const std::string whole = bin({0x30, 0xCB, 0x01, 0x00, 0x01}) + "t" + std::string(200, 'x');
        REQUIRE(codec::split(whole, 206, p, used, total) == codec::split_status::packet);
        CHECK(used == 206);
        CHECK(total == 206);
        CHECK(p.body.size() == 203);
        CHECK(codec::split(whole, 205, p, used, total) == codec::split_status::too_large);
    }
    SECTION("the largest remaining length, 268435455 in four bytes") {
        REQUIRE(codec::split(bin({0x30, 0xFF, 0xFF, 0xFF, 0x7F}), 1 << 20, p, used, total) ==
                codec::split_status::too_large);
        CHECK(used == 5);
        CHECK(total == 5 + 268'435'455);
        CHECK(codec::split(bin({0x30, 0xFF, 0xFF, 0xFF, 0x7F, 0x00}), std::size_t{1} << 30, p, used, total) ==
              codec::split_status::need_more);
    }
    SECTION("nothing yet") {
        CHECK(codec::split("", 1024, p, used, total) == codec::split_status::need_more);
        CHECK(codec::split(bin({0x30}), 1024, p, used, total) == codec::split_status::need_more);
    }
}

// ---- reading ----

TEST_CASE("mqtt codec: CONNACK in 3.1.1", "[mqtt][codec]") {
    SECTION("accepted") {
        const std::string body = bin({0x00, 0x00});
        auto r = codec::parse_connack(make_packet(codec::connack, 0, body), false);
        REQUIRE(r);
        CHECK_FALSE(r.value().session_present);
        CHECK(r.value().reason == 0);
        CHECK(r.value().receive_maximum == 65535);
        CHECK(r.value().maximum_packet_size == 0);
        CHECK_FALSE(r.value().server_keepalive);
    }
    SECTION("session present") {
        const std::string body = bin({0x01, 0x00});
        auto r = codec::parse_connack(make_packet(codec::connack, 0, body), false);
        REQUIRE(r);
        CHECK(r.value().session_present);
    }
    SECTION("refused: not authorised") {
        const std::string body = bin({0x00, 0x05});
        auto r = codec::parse_connack(make_packet(codec::connack, 0, body), false);
        REQUIRE(r);
        CHECK(r.value().reason == 5);
        CHECK(codec::connack_text_v311(r.value().reason) == "Connection Refused: not authorised");
    }
    SECTION("reserved acknowledge flags, short or long bodies fail") {
        for (const std::string& body : {bin({0x02, 0x00}), bin({0x80, 0x00}), bin({0xFF, 0x00}), bin({0x00}),
                                        std::string(), bin({0x00, 0x00, 0x00})}) {
            INFO(hex(body));
            auto r = codec::parse_connack(make_packet(codec::connack, 0, body), false);
            CHECK_FALSE(r);
            CHECK_FALSE(r.reason().empty());
        }
    }
}

TEST_CASE("mqtt codec: CONNACK in MQTT 5", "[mqtt][codec]") {
    SECTION("the properties the client uses; others skipped") {
        // Receive Maximum 10, Server Keep Alive 30, Maximum Packet Size 16384, Reason String "ok",
        // Maximum QoS 1, Retain Available 0, Assigned Client Identifier "abc", User Property k=v:
        // 3+3+5+5+2+2+6+7 = 33 bytes of properties.
        const std::string body = bin({0x01, 0x00, 0x21}) + bin({0x21, 0x00, 0x0A}) + bin({0x13, 0x00, 0x1E}) +
                                 bin({0x27, 0x00, 0x00, 0x40, 0x00}) + bin({0x1F, 0x00, 0x02}) + "ok" +
                                 bin({0x24, 0x01}) + bin({0x25, 0x00}) + bin({0x12, 0x00, 0x03}) + "abc" +
                                 bin({0x26, 0x00, 0x01}) + "k" + bin({0x00, 0x01}) + "v";
        auto r = codec::parse_connack(make_packet(codec::connack, 0, body), true);
        REQUIRE(r);
        const auto& c = r.value();
        CHECK(c.session_present);
        CHECK(c.reason == 0);
        CHECK(c.receive_maximum == 10);
        REQUIRE(c.server_keepalive);
        CHECK(*c.server_keepalive == 30);
        CHECK(c.maximum_packet_size == 16384);
        CHECK(c.reason_string == "ok");
        CHECK(c.maximum_qos == 1);
        CHECK_FALSE(c.retain_available);
    }
    SECTION("an empty property list keeps the defaults") {
        const std::string body = bin({0x00, 0x00, 0x00});
        auto r = codec::parse_connack(make_packet(codec::connack, 0, body), true);
        REQUIRE(r);
        CHECK(r.value().receive_maximum == 65535);
        CHECK(r.value().maximum_packet_size == 0);
        CHECK_FALSE(r.value().server_keepalive);
        CHECK(r.value().maximum_qos == 2);
        CHECK(r.value().retain_available);
        CHECK(r.value().reason_string.empty());
    }
    SECTION("refused with a reason code and a reason string") {
        const std::string body = bin({0x00, 0x87, 0x07, 0x1F, 0x00, 0x04}) + "nope";
        auto r = codec::parse_connack(make_packet(codec::connack, 0, body), true);
        REQUIRE(r);
        CHECK(r.value().reason == 0x87);
        CHECK(r.value().reason_string == "nope");
        CHECK(codec::reason_text(r.value().reason) == "Not authorized");
    }
    SECTION("malformed") {
        const std::vector<std::string> bodies{
            bin({0x02, 0x00, 0x00}),                    // reserved acknowledge flag
            bin({0x00, 0x00, 0x03, 0x21, 0x00, 0x00}),  // Receive Maximum 0
            bin({0x00, 0x00, 0x05, 0x27, 0x00, 0x00, 0x00, 0x00}),  // Maximum Packet Size 0
            bin({0x00, 0x00, 0x05, 0x7F, 0x00, 0x00, 0x00, 0x00}),  // a property MQTT 5 does not define
            bin({0x00, 0x00, 0x03, 0x20, 0x00, 0x01}),  // nor this one (between 0x1F and 0x21)
            bin({0x00, 0x00, 0x04, 0x21, 0x00, 0x0A}),  // property length past the end
            bin({0x00, 0x00, 0x02, 0x21, 0x00}),        // a property cut short
            bin({0x00, 0x00, 0x00, 0x00}),              // a byte after the properties
            bin({0x00, 0x00, 0x80, 0x80, 0x80, 0x80}),  // property length of five bytes
        };
        for (const auto& body : bodies) {
            INFO(hex(body));
            auto r = codec::parse_connack(make_packet(codec::connack, 0, body), true);
            CHECK_FALSE(r);
            CHECK_FALSE(r.reason().empty());
        }
    }
}

TEST_CASE("mqtt codec: PUBLISH read", "[mqtt][codec]") {
    SECTION("3.1.1 QoS 0") {
        const std::string body = bin({0x00, 0x03}) + "a/b" + "hi";
        auto r = codec::parse_publish(make_packet(codec::publish, 0x00, body), false);
        REQUIRE(r);
        CHECK(r.value().topic == "a/b");
        CHECK(r.value().qos == 0);
        CHECK(r.value().id == 0);
        CHECK_FALSE(r.value().retain);
        CHECK_FALSE(r.value().dup);
        CHECK(r.value().payload == "hi");
        CHECK(r.value().payload.data() - body.data() == 5);  // a view of the body
    }
    SECTION("3.1.1 QoS 1, dup and retain") {
        const std::string body = bin({0x00, 0x03}) + "a/b" + bin({0x12, 0x34}) + "hi";
        auto r = codec::parse_publish(make_packet(codec::publish, 0x0B, body), false);
        REQUIRE(r);
        CHECK(r.value().topic == "a/b");
        CHECK(r.value().qos == 1);
        CHECK(r.value().id == 0x1234);
        CHECK(r.value().retain);
        CHECK(r.value().dup);
        CHECK(r.value().payload == "hi");
    }
    SECTION("an empty payload") {
        const std::string body = bin({0x00, 0x01}) + "t";
        auto r = codec::parse_publish(make_packet(codec::publish, 0, body), false);
        REQUIRE(r);
        CHECK(r.value().payload.empty());
    }
    SECTION("QoS 2 is read (the client never asks for it)") {
        const std::string body = bin({0x00, 0x01}) + "t" + bin({0x00, 0x02});
        auto r = codec::parse_publish(make_packet(codec::publish, 0x04, body), false);
        REQUIRE(r);
        CHECK(r.value().qos == 2);
        CHECK(r.value().id == 2);
    }
    SECTION("5: properties skipped, user property included") {
        // Payload Format Indicator 1, User Property k=v, Message Expiry Interval 60: 2+7+5 = 14.
        const std::string body = bin({0x00, 0x03}) + "a/b" + bin({0x00, 0x05, 0x0E}) + bin({0x01, 0x01}) +
                                 bin({0x26, 0x00, 0x01}) + "k" + bin({0x00, 0x01}) + "v" +
                                 bin({0x02, 0x00, 0x00, 0x00, 0x3C}) + "hi";
        auto r = codec::parse_publish(make_packet(codec::publish, 0x02, body), true);
        REQUIRE(r);
        CHECK(r.value().topic == "a/b");
        CHECK(r.value().qos == 1);
        CHECK(r.value().id == 5);
        CHECK(r.value().payload == "hi");
    }
    SECTION("5: an empty property list, payload after it") {
        const std::string body = bin({0x00, 0x03}) + "a/b" + bin({0x00}) + "hi";
        auto r = codec::parse_publish(make_packet(codec::publish, 0, body), true);
        REQUIRE(r);
        CHECK(r.value().payload == "hi");
        // The same bytes read as 3.1.1: the property length is payload.
        auto v3 = codec::parse_publish(make_packet(codec::publish, 0, body), false);
        REQUIRE(v3);
        CHECK(hex(v3.value().payload) == hex(bin({0x00}) + "hi"));
    }
    SECTION("5: a topic alias is refused (the client allows none)") {
        const std::string body = bin({0x00, 0x03}) + "a/b" + bin({0x03, 0x23, 0x00, 0x01}) + "hi";
        auto r = codec::parse_publish(make_packet(codec::publish, 0, body), true);
        CHECK_FALSE(r);
        CHECK_FALSE(r.reason().empty());
    }
    SECTION("malformed, either version") {
        struct bad {
            const char* what;
            std::uint8_t flags;
            std::string body;
        };
        const std::vector<bad> cases{
            {"packet identifier 0", 0x02, bin({0x00, 0x03}) + "a/b" + bin({0x00, 0x00, 0x00}) + "hi"},
            {"QoS 3", 0x06, bin({0x00, 0x03}) + "a/b" + bin({0x00, 0x01, 0x00}) + "hi"},
            {"a + in the topic", 0x00, bin({0x00, 0x03}) + "a/+" + bin({0x00}) + "hi"},
            {"a # in the topic", 0x00, bin({0x00, 0x03}) + "a/#" + bin({0x00}) + "hi"},
            {"invalid UTF-8 in the topic", 0x00, bin({0x00, 0x02, 0xC3, 0x28, 0x00})},
            {"a NUL in the topic", 0x00, bin({0x00, 0x03}) + "a" + bin({0x00}) + "b" + bin({0x00})},
            {"an empty topic", 0x00, bin({0x00, 0x00, 0x00}) + "hi"},
            {"topic length past the end", 0x00, bin({0x00, 0x09}) + "a/b"},
            {"no topic length", 0x00, bin({0x00})},
            {"QoS 1 without its packet identifier", 0x02, bin({0x00, 0x01}) + "t" + bin({0x01})},
        };
        for (const auto& c : cases) {
            for (bool mqtt5 : {false, true}) {
                INFO(c.what << (mqtt5 ? " (5)" : " (3.1.1)"));
                auto r = codec::parse_publish(make_packet(codec::publish, c.flags, c.body), mqtt5);
                CHECK_FALSE(r);
                CHECK_FALSE(r.reason().empty());
            }
        }
    }
    SECTION("5: malformed property lists") {
        for (const std::string& props : {std::string(),                       // no property length
                                         bin({0x05, 0x01, 0x01}),             // length past the end
                                         bin({0x02, 0x00, 0x00}),             // 0x00 is no property
                                         bin({0x03, 0x26, 0x00, 0x01})}) {    // user property cut short
            const std::string body = bin({0x00, 0x01}) + "t" + props;
            INFO(hex(body));
            CHECK_FALSE(codec::parse_publish(make_packet(codec::publish, 0, body), true));
        }
    }
}

TEST_CASE("mqtt codec: the head of a PUBLISH too large to hold", "[mqtt][codec]") {
    const std::string body = bin({0x00, 0x03}) + "a/b" + bin({0x12, 0x34, 0x00}) + "payload";
    SECTION("incomplete: empty, not a failure") {
        for (std::size_t n = 0; n < 7; ++n) {
            INFO(n << " bytes");
            auto r = codec::parse_publish_head(0x02, std::string_view(body).substr(0, n));
            REQUIRE(r);
            CHECK_FALSE(r.value());
        }
    }
    SECTION("complete: topic and packet identifier, no payload") {
        for (std::size_t n : {std::size_t{7}, std::size_t{8}, body.size()}) {
            INFO(n << " bytes");
            auto r = codec::parse_publish_head(0x0B, std::string_view(body).substr(0, n));
            REQUIRE(r);
            REQUIRE(r.value());
            const auto& f = *r.value();
            CHECK(f.topic == "a/b");
            CHECK(f.id == 0x1234);
            CHECK(f.qos == 1);
            CHECK(f.dup);
            CHECK(f.retain);
            CHECK(f.payload.empty());
        }
    }
    SECTION("QoS 0: the topic is enough") {
        auto r = codec::parse_publish_head(0x00, std::string_view(body).substr(0, 5));
        REQUIRE(r);
        REQUIRE(r.value());
        CHECK(r.value()->topic == "a/b");
        CHECK(r.value()->id == 0);
        CHECK(r.value()->qos == 0);
    }
    SECTION("malformed") {
        CHECK_FALSE(codec::parse_publish_head(0x06, body));                                            // QoS 3
        CHECK_FALSE(codec::parse_publish_head(0x06, ""));                                              // QoS 3, nothing yet
        CHECK_FALSE(codec::parse_publish_head(0x02, bin({0x00, 0x03}) + "a/b" + bin({0x00, 0x00})));   // id 0
        CHECK_FALSE(codec::parse_publish_head(0x00, bin({0x00, 0x03}) + "a/#"));                       // wildcard
        CHECK_FALSE(codec::parse_publish_head(0x00, bin({0x00, 0x00})));                               // empty topic
        CHECK_FALSE(codec::parse_publish_head(0x00, bin({0x00, 0x01, 0xFF})));                         // not UTF-8
    }
}

TEST_CASE("mqtt codec: PUBACK read", "[mqtt][codec]") {
    SECTION("3.1.1: the packet identifier only") {
        const std::string body = bin({0x12, 0x34});
        auto r = codec::parse_puback(make_packet(codec::puback, 0, body), false);
        REQUIRE(r);
        CHECK(r.value().id == 0x1234);
        CHECK(r.value().reasons == reasons({0}));
        for (const std::string& bad : {bin({0x00, 0x00}), bin({0x12}), std::string(), bin({0x12, 0x34, 0x00})}) {
            INFO(hex(bad));
            CHECK_FALSE(codec::parse_puback(make_packet(codec::puback, 0, bad), false));
        }
    }
    SECTION("5: reason code and properties may be left out") {
        const std::string body = bin({0x00, 0x05});
        auto r = codec::parse_puback(make_packet(codec::puback, 0, body), true);
        REQUIRE(r);
        CHECK(r.value().id == 5);
        CHECK(r.value().reasons == reasons({0}));
    }
    SECTION("5: a reason code without properties") {
        const std::string body = bin({0x00, 0x05, 0x10});
        auto r = codec::parse_puback(make_packet(codec::puback, 0, body), true);
        REQUIRE(r);
        CHECK(r.value().reasons == reasons({0x10}));
        CHECK(codec::reason_text(0x10) == "No matching subscribers");
    }
    SECTION("5: a reason code with an empty property list") {
        const std::string body = bin({0x00, 0x05, 0x87, 0x00});
        auto r = codec::parse_puback(make_packet(codec::puback, 0, body), true);
        REQUIRE(r);
        CHECK(r.value().reasons == reasons({0x87}));
    }
    SECTION("5: a reason code with a reason string") {
        const std::string body = bin({0x00, 0x05, 0x87, 0x05, 0x1F, 0x00, 0x02}) + "no";
        auto r = codec::parse_puback(make_packet(codec::puback, 0, body), true);
        REQUIRE(r);
        CHECK(r.value().id == 5);
        CHECK(r.value().reasons == reasons({0x87}));
    }
    SECTION("5: malformed") {
        for (const std::string& bad : {bin({0x00, 0x00}), bin({0x00, 0x05, 0x87, 0x05, 0x1F, 0x00}),
                                       bin({0x00, 0x05, 0x87, 0x01, 0x7F}), bin({0x00, 0x05, 0x87, 0x00, 0x00})}) {
            INFO(hex(bad));
            CHECK_FALSE(codec::parse_puback(make_packet(codec::puback, 0, bad), true));
        }
    }
}

TEST_CASE("mqtt codec: SUBACK read", "[mqtt][codec]") {
    SECTION("3.1.1: a return code per filter") {
        const std::string body = bin({0x00, 0x0A, 0x01, 0x80});
        auto r = codec::parse_suback(make_packet(codec::suback, 0, body), false);
        REQUIRE(r);
        CHECK(r.value().id == 10);
        CHECK(r.value().reasons == reasons({0x01, 0x80}));
    }
    SECTION("5: properties before the reason codes") {
        // Reason String "" and User Property k=v: 3+7 = 10 bytes of properties.
        const std::string body = bin({0x00, 0x0A, 0x0A, 0x1F, 0x00, 0x00, 0x26, 0x00, 0x01}) + "k" +
                                 bin({0x00, 0x01}) + "v" + bin({0x02, 0x87});
        auto r = codec::parse_suback(make_packet(codec::suback, 0, body), true);
        REQUIRE(r);
        CHECK(r.value().id == 10);
        CHECK(r.value().reasons == reasons({0x02, 0x87}));
    }
    SECTION("5: an empty property list") {
        const std::string body = bin({0x00, 0x01, 0x00, 0x00});
        auto r = codec::parse_suback(make_packet(codec::suback, 0, body), true);
        REQUIRE(r);
        CHECK(r.value().reasons == reasons({0x00}));
    }
    SECTION("malformed") {
        CHECK_FALSE(codec::parse_suback(make_packet(codec::suback, 0, bin({0x00, 0x0A})), false));        // no code
        CHECK_FALSE(codec::parse_suback(make_packet(codec::suback, 0, bin({0x00, 0x00, 0x01})), false));  // id 0
        CHECK_FALSE(codec::parse_suback(make_packet(codec::suback, 0, bin({0x00})), false));
        CHECK_FALSE(codec::parse_suback(make_packet(codec::suback, 0, bin({0x00, 0x0A, 0x00})), true));   // no code
        CHECK_FALSE(codec::parse_suback(make_packet(codec::suback, 0, bin({0x00, 0x0A})), true));  // no properties
        CHECK_FALSE(codec::parse_suback(make_packet(codec::suback, 0, bin({0x00, 0x0A, 0x05, 0x01})), true));
    }
}

TEST_CASE("mqtt codec: DISCONNECT read", "[mqtt][codec]") {
    SECTION("5: an empty body is a normal disconnection") {
        auto r = codec::parse_disconnect(make_packet(codec::disconnect, 0, ""), true);
        REQUIRE(r);
        CHECK(r.value().reason == 0);
        CHECK(r.value().reason_string.empty());
    }
    SECTION("5: a reason code alone") {
        const std::string body = bin({0x8E});
        auto r = codec::parse_disconnect(make_packet(codec::disconnect, 0, body), true);
        REQUIRE(r);
        CHECK(r.value().reason == 0x8E);
        CHECK(codec::reason_text(0x8E) == "Session taken over");
    }
    SECTION("5: a reason code and a reason string") {
        const std::string body = bin({0x8B, 0x07, 0x1F, 0x00, 0x04}) + "bye!";
        auto r = codec::parse_disconnect(make_packet(codec::disconnect, 0, body), true);
        REQUIRE(r);
        CHECK(r.value().reason == 0x8B);
        CHECK(r.value().reason_string == "bye!");
    }
    SECTION("5: malformed") {
        for (const std::string& bad : {bin({0x8B, 0x07, 0x1F, 0x00}), bin({0x8B, 0x00, 0x00}), bin({0x8B, 0x01, 0x00})}) {
            INFO(hex(bad));
            CHECK_FALSE(codec::parse_disconnect(make_packet(codec::disconnect, 0, bad), true));
        }
    }
    SECTION("3.1.1: never from a broker, but an empty one is understood; anything more fails") {
        CHECK(codec::parse_disconnect(make_packet(codec::disconnect, 0, ""), false));
        CHECK_FALSE(codec::parse_disconnect(make_packet(codec::disconnect, 0, bin({0x00})), false));
    }
}

// ---- names ----

TEST_CASE("mqtt codec: topic names", "[mqtt][codec]") {
    for (const std::string& good : {std::string("a"), std::string("a/b"), std::string("/"), std::string("a//b"),
                                    std::string("caf\xC3\xA9"), std::string("$SYS/x"), std::string(65535, 't')}) {
        INFO(good.substr(0, 20));
        CHECK(codec::valid_topic_name(good));
    }
    for (const std::string& bad : {std::string(), std::string("a/+"), std::string("+"), std::string("#"),
                                   std::string("a/#"), std::string("a+b"), std::string("a\0b", 3),
                                   std::string("\xC3\x28"), std::string("\xED\xA0\x80"), std::string(65536, 't')}) {
        INFO(hex(bad.substr(0, 20)));
        CHECK_FALSE(codec::valid_topic_name(bad));
    }
}

TEST_CASE("mqtt codec: topic filters", "[mqtt][codec]") {
    for (const char* good : {"a/+/b", "#", "a/#", "+", "+/+", "+/#", "/", "a/b", "/#", "a//b", "$SYS/#"}) {
        INFO(good);
        CHECK(codec::valid_topic_filter(good));
    }
    for (const std::string& bad : {std::string("a/#/b"), std::string("#/a"), std::string("a+"), std::string("+a"),
                                   std::string("a/b#"), std::string("a/#b"), std::string("##"), std::string("++"),
                                   std::string(), std::string("a\0b", 3), std::string("\xFF"),
                                   std::string(65536, 'f')}) {
        INFO(hex(bad.substr(0, 20)));
        CHECK_FALSE(codec::valid_topic_filter(bad));
    }
}

TEST_CASE("mqtt codec: reason codes in words", "[mqtt][codec]") {
    CHECK(codec::reason_text(0x00) == "Success");
    CHECK(codec::reason_text(0x87) == "Not authorized");
    CHECK(codec::reason_text(0x97) == "Quota exceeded");
    CHECK(codec::reason_text(0xA2) == "Wildcard Subscriptions not supported");
    CHECK(codec::reason_text(0x03) == "reason code 0x03");
    CHECK(codec::reason_text(0xA3) == "reason code 0xA3");
    CHECK(codec::reason_text(0xFF) == "reason code 0xFF");
    CHECK(codec::connack_text_v311(0) == "Connection Accepted");
    CHECK(codec::connack_text_v311(5) == "Connection Refused: not authorised");
    CHECK(codec::connack_text_v311(4) == "Connection Refused: bad user name or password");
    CHECK(codec::connack_text_v311(9) == "Connection Refused: return code 9");
}
