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

TEST_CASE("marshal-json lifts a top-level folder and refuses an invalid one", "[plugin][marshal][folder]") {
    auto json = make_marshaller("marshal-json");
    attributes attrs;
    REQUIRE(json->unmarshal(R"({"type": "sensor_update", "folder": "/acme/greenhouse/pi-7"})", false, attrs).ok);
    CHECK(attrs.get("folder") == "/acme/greenhouse/pi-7");
    CHECK(attrs.get("type") == "sensor_update");

    attributes root;
    REQUIRE(json->unmarshal(R"({"folder": "/"})", false, root).ok);
    CHECK(root.get("folder") == "/");

    // The last one wins, as with JSON.parse: only it is judged.
    attributes last;
    REQUIRE(json->unmarshal(R"({"folder": "no slash", "folder": "/a/b"})", false, last).ok);
    CHECK(last.get("folder") == "/a/b");

    // Nested, null or absent: no folder.
    attributes none;
    CHECK(json->unmarshal(R"({"parameters": {"folder": "not one"}})", false, none).ok);
    CHECK(json->unmarshal(R"({"folder": null})", false, none).ok);
    CHECK(json->unmarshal(R"({"folder": 1, "folder": null})", false, none).ok);
    CHECK(json->unmarshal(R"(["folder", "x"])", false, none).ok);
    CHECK_FALSE(none.get("folder"));

    // Escapes are decoded before the folder is judged.
    attributes escaped;
    REQUIRE(json->unmarshal(R"({"folder": "\/acme\/caf\u00e9"})", false, escaped).ok);
    CHECK(escaped.get("folder") == "/acme/caf\xC3\xA9");

    struct refusal {
        const char* payload;
        const char* reason;
    };
    const refusal refused[] = {
        {R"({"folder": "acme"})", "invalid \"folder\": a folder starts with '/'"},
        {R"({"folder": ""})", "invalid \"folder\": a folder cannot be empty"},
        {R"({"folder": "/acme/"})", "invalid \"folder\": a folder cannot end with '/'"},
        {R"({"folder": "/acme//x"})", "invalid \"folder\": a folder cannot hold an empty segment ('//')"},
        {R"({"folder": "/acme/../x"})", "invalid \"folder\": a folder cannot hold a '.' or '..' segment"},
        {R"({"folder": "/acme\nx"})", "invalid \"folder\": a folder cannot hold control characters"},
        {R"({"folder": "/acme\u0000"})", "invalid \"folder\": a folder cannot hold control characters"},
        {R"({"folder": "/a/b", "folder": "b"})", "invalid \"folder\": a folder starts with '/'"},
        {R"({"folder": 7})", "\"folder\" must be a string such as \"/acme/greenhouse\", or null"},
        {R"({"folder": ["/a"]})", "\"folder\" must be a string such as \"/acme/greenhouse\", or null"},
        {R"({"folder": {"path": "/a"}})", "\"folder\" must be a string such as \"/acme/greenhouse\", or null"},
        {R"({"folder": "/a", "folder": true})", "\"folder\" must be a string such as \"/acme/greenhouse\", or null"},
    };
    for (const auto& r : refused) {
        INFO(r.payload);
        attributes a;
        auto result = json->unmarshal(r.payload, false, a);
        CHECK_FALSE(result.ok);
        CHECK(result.error == r.reason);
        CHECK_FALSE(a.get("folder"));
    }
    std::string long_folder = "/" + std::string(1024, 'x');
    attributes a;
    CHECK(json->unmarshal("{\"folder\": \"" + long_folder + "\"}", false, a).error ==
          "invalid \"folder\": a folder is at most 1024 bytes");
}
