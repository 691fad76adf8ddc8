// marshal-json loaded as the core loads it: validation, the lifted type, egress.
#include "support/marshallers.hpp"

using namespace araldo;
using namespace araldo::test;

TEST_CASE("marshal-json validates and lifts the type", "[plugin][marshal]") {
    auto json = make_marshaller("marshal-json");
    attributes attrs;
    CHECK(json->unmarshal(R"({"type": "comment-added", "parameters": {"id": 3}})", false, attrs).ok);
    CHECK(attrs.get("type") == "comment-added");

    attributes none;
    CHECK(json->unmarshal(R"({"type": 42})", false, none).ok);
    CHECK_FALSE(none.get("type"));
    CHECK(json->unmarshal("[1, 2, 3]", false, none).ok);
    CHECK(json->unmarshal("\"just a string\"", false, none).ok);

    auto bad = json->unmarshal(R"({"type": "x",})", false, none);
    CHECK_FALSE(bad.ok);
    CHECK_THAT(bad.error, Catch::Contains("invalid JSON"));
    CHECK_FALSE(json->unmarshal("", false, none).ok);
    CHECK_FALSE(json->unmarshal("{} trailing", false, none).ok);
    CHECK_FALSE(json->unmarshal("{}", true, none).ok);
    std::string deep(1000, '[');
    deep += std::string(1000, ']');
    CHECK_FALSE(json->unmarshal(deep, false, none).ok);
}

TEST_CASE("egress through the same marshaller sends the original bytes", "[plugin][marshal]") {
    auto json = make_marshaller("marshal-json");
    auto msg = ingress(*json, R"({ "type" : "spaced",   "x": 1 })");
    encoded out = json->marshal(msg);
    CHECK(out.bytes == msg->payload());
    CHECK(out.bytes.data() == msg->payload().data());  // shared, not copied
}

TEST_CASE("raw payloads become JSON strings on the way out through marshal-json", "[plugin][marshal]") {
    auto raw = make_marshaller("marshal-raw");
    auto json = make_marshaller("marshal-json");
    auto msg = ingress(*raw, "hello \"world\"\n");
    encoded out = json->marshal(msg);
    CHECK(out.bytes == R"("hello \"world\"\n")");
    auto valid = ingress(*raw, R"({"a":1})");
    CHECK(json->marshal(valid).bytes.data() == valid->payload().data());
}
