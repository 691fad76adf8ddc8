#include "config/option_validator.hpp"
#include "config/yaml_source.hpp"
#include "plugin_loader.hpp"

#include <catch2/catch.hpp>

using namespace araldo;
using namespace araldo::detail;

namespace {

plugin_loader& loader() {
    static plugin_loader l;
    static const bool scanned = (l.scan(ARALDO_PLUGIN_DIR), true);
    (void)scanned;
    return l;
}

std::unique_ptr<marshaller> make(const std::string& id, const std::string& yaml = "{}") {
    const marshaller_factory* f = loader().find_marshaller(id);
    REQUIRE(f);
    YAML::Node node = parse_yaml(yaml, "m.yaml");
    env_lookup env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    validation_input in{node, f->options, "m.yaml", env, {}, id};
    return f->create(validate_options(in));
}

message_ptr ingress(const marshaller& m, std::string payload, bool binary = false) {
    message::fields f;
    auto r = m.unmarshal(payload, binary, f.attributes);
    REQUIRE(r.ok);
    f.payload = std::move(payload);
    f.binary = binary;
    f.format = &m;
    return make_message(std::move(f));
}

}  // namespace

TEST_CASE("marshal-json validates and lifts the type", "[plugin][marshal]") {
    auto json = make("marshal-json");
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
    auto json = make("marshal-json");
    auto msg = ingress(*json, R"({ "type" : "spaced",   "x": 1 })");
    encoded out = json->marshal(msg);
    CHECK(out.bytes == msg->payload());
    CHECK(out.bytes.data() == msg->payload().data());  // shared, not copied
}

TEST_CASE("raw payloads become JSON strings on the way out through marshal-json", "[plugin][marshal]") {
    auto raw = make("marshal-raw");
    auto json = make("marshal-json");
    auto msg = ingress(*raw, "hello \"world\"\n");
    encoded out = json->marshal(msg);
    CHECK(out.bytes == R"("hello \"world\"\n")");
    auto valid = ingress(*raw, R"({"a":1})");
    CHECK(json->marshal(valid).bytes.data() == valid->payload().data());
}

TEST_CASE("marshal-raw passes any bytes, text or binary", "[plugin][marshal]") {
    auto raw = make("marshal-raw");
    std::string bytes("\x00\xff\x10not json", 11);
    auto msg = ingress(*raw, bytes, true);
    encoded out = raw->marshal(msg);
    CHECK(out.binary);
    CHECK(out.bytes == bytes);
}
