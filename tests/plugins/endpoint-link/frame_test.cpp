// The link's wire format without sockets: what is encoded decodes to the
// same, and every cut or corrupted frame is refused with a reason, never
// read past its end.
#include "link_frame.hpp"

#include <araldo/message.hpp>
#include <araldo/request.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace araldo::plugins::endpoint_link;

namespace {

araldo::message_ptr sample(bool binary = false) {
    araldo::message::fields f;
    f.id = "01JDB4M2Q8X9T5N3V7K1R6W0ZP";
    f.source = "emit";
    f.payload = binary ? std::string("\0\xff\x01", 3) : std::string(R"({"type":"x"})");
    f.binary = binary;
    f.attributes.set("type", "x");
    f.attributes.set("request.args", R"(["a","b"])");
    f.attributes.set("empty", "");
    return araldo::make_message(std::move(f));
}

}  // namespace

TEST_CASE("an event frame decodes to its message", "[link]") {
    for (bool binary : {false, true}) {
        const auto msg = sample(binary);
        const std::string bytes = encode_message(frame_kind::event, *msg);
        auto r = decode_frame(bytes);
        REQUIRE(r);
        const frame& f = r.value();
        CHECK(f.kind == frame_kind::event);
        CHECK(f.id == msg->id());
        CHECK(f.binary == binary);
        CHECK(f.body == msg->payload());
        REQUIRE(f.attributes.size() == 3);
        CHECK(f.attributes[0].first == "type");
        CHECK(f.attributes[1].second == R"(["a","b"])");
        CHECK(f.attributes[2].second.empty());
    }
}

TEST_CASE("a request frame carries its correlation and the time left", "[link]") {
    const auto msg = sample();
    const std::string bytes = encode_message(frame_kind::request, *msg, 0x0102030405060708ULL, 29999);
    auto r = decode_frame(bytes);  // the frame's views point into bytes
    REQUIRE(r);
    CHECK(r.value().kind == frame_kind::request);
    CHECK(r.value().correlation == 0x0102030405060708ULL);
    CHECK(r.value().remaining_ms == 29999);
    CHECK(r.value().body == msg->payload());
}

TEST_CASE("a reply frame carries status, content type, return code and body", "[link]") {
    araldo::reply reply{502, "application/octet-stream", std::string("\0bin", 4), -7};
    const std::string bytes = encode_reply(42, reply);
    auto r = decode_frame(bytes);
    REQUIRE(r);
    const frame& f = r.value();
    CHECK(f.kind == frame_kind::reply);
    CHECK(f.correlation == 42);
    CHECK(f.status == 502);
    CHECK(f.content_type == "application/octet-stream");
    CHECK(f.return_code == -7);
    CHECK(f.body == std::string_view("\0bin", 4));
}

TEST_CASE("every cut of a frame is refused or reads as a shorter body, never past the end", "[link]") {
    const std::string event = encode_message(frame_kind::event, *sample());
    const std::string request = encode_message(frame_kind::request, *sample(), 7, 100);
    const std::string reply = encode_reply(7, araldo::reply::json(200, R"({"ok":true})"));
    for (const std::string* whole : {&event, &request, &reply}) {
        const auto body = decode_frame(*whole).value().body.size();
        const std::size_t head = whole->size() - body;
        for (std::size_t n = 0; n < whole->size(); ++n) {
            auto r = decode_frame(std::string_view(*whole).substr(0, n));
            if (n < head) CHECK_FALSE(r);
            else CHECK(r.value().body.size() == n - head);
        }
    }
}

TEST_CASE("corrupt frames are refused with the reason", "[link]") {
    std::string bytes = encode_message(frame_kind::event, *sample());
    std::string v = bytes;
    v[0] = 9;
    CHECK(decode_frame(v).reason() == "unknown wire version 9");
    std::string k = bytes;
    k[1] = 7;
    CHECK(decode_frame(k).reason() == "unknown frame kind 7");
    std::string fl = bytes;
    fl[2] = 4;
    CHECK(decode_frame(fl).reason() == "unknown flags");
    std::string id = bytes;
    id[4] = '/';  // inside the message id
    CHECK(decode_frame(id).reason() == "invalid message id");
    std::string status = encode_reply(1, araldo::reply::json(200, "{}"));
    status[11] = 0;  // status 0x00c8 -> 0x0000
    status[12] = 0;
    CHECK(decode_frame(status).reason() == "reply status out of range");
}

TEST_CASE("a batch splits into its frames, in order; a broken one is refused with the reason", "[link]") {
    const std::string event = encode_message(frame_kind::event, *sample());
    const std::string reply = encode_reply(7, araldo::reply::json(200, R"({"ok":true})"));
    std::string batch;
    append_to_batch(batch, event);
    append_to_batch(batch, reply);
    auto parts = split_batch(batch);
    REQUIRE(parts);
    REQUIRE(parts.value().size() == 2);
    CHECK(parts.value()[0] == event);
    CHECK(parts.value()[1] == reply);
    CHECK_FALSE(decode_frame(batch));  // a batch is not a frame

    for (std::size_t cut = 3; cut < batch.size(); ++cut) {
        auto r = split_batch(std::string_view(batch).substr(0, cut));
        if (cut == 4 + event.size() + 3) {
            CHECK(r);  // exactly the first frame
            continue;
        }
        REQUIRE_FALSE(r);
        CHECK(r.reason() == (cut == 3 ? "an empty batch" : "truncated frame in a batch"));
    }
    std::string nested;
    append_to_batch(nested, batch);
    CHECK(split_batch(nested).reason() == "a batch inside a batch");
    std::string flagged = batch;
    flagged[2] = 1;
    CHECK(split_batch(flagged).reason() == "a batch has no flags");
    CHECK(split_batch(event).reason() == "not a batch");
}
