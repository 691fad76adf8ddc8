// The publish channel and inbound folder templates, without a server.
#include <araldo/attribute_template.hpp>

#include <catch2/catch.hpp>

using namespace araldo;
using araldo::attribute_template;

namespace {

attribute_template parsed(std::string_view text, const std::vector<std::string>& allowed = {}) {
    auto t = attribute_template::parse(text, allowed);
    REQUIRE(t);
    return std::move(t).value();
}

std::string error_of(std::string_view text, const std::vector<std::string>& allowed = {}) {
    auto t = attribute_template::parse(text, allowed);
    return t ? "parses" : t.reason();
}

}  // namespace

TEST_CASE("a channel name without braces is literal, as it always was", "[redis][template]") {
    for (const char* name : {"events", "user.*", "a}b", "/acme/x", "x y"}) {
        INFO(name);
        auto t = parsed(name);
        CHECK(t.literal());
        CHECK(t.literal_text() == name);
        CHECK(t.text() == name);
    }
    CHECK(parsed("a{{b}}c").literal_text() == "a{b}c");
    CHECK(parsed("{{folder}}").literal_text() == "{folder}");
}

TEST_CASE("placeholders expand from a message's attributes", "[redis][template][folder]") {
    attributes a;
    a.set("folder", "/acme/greenhouse");
    a.set("type", "sensor_update");
    a.set("empty", "");
    std::string out;
    auto t = parsed("events{folder}");
    CHECK_FALSE(t.literal());
    CHECK(t.head() == "events");
    CHECK(t.names() == std::vector<std::string>{"folder"});
    CHECK_FALSE(t.expand(a, out));
    CHECK(out == "events/acme/greenhouse");

    out.clear();
    CHECK_FALSE(parsed("{folder}").expand(a, out));
    CHECK(out == "/acme/greenhouse");
    out.clear();
    CHECK_FALSE(parsed("{type}@{folder}{{x}}").expand(a, out));
    CHECK(out == "sensor_update@/acme/greenhouse{x}");

    out.clear();
    CHECK(parsed("events{folder}.{missing}").expand(a, out) == std::optional<std::string_view>("missing"));
    out.clear();
    CHECK(parsed("{empty}").expand(a, out) == std::optional<std::string_view>("empty"));
    CHECK(parsed("{folder}").head().empty());
}

TEST_CASE("the inbound folder template knows only {channel}", "[redis][template][folder]") {
    const std::vector<std::string> channel{"channel"};
    CHECK(parsed("/redis/{channel}", channel).expand_all("news") == "/redis/news");
    CHECK(parsed("{channel}", channel).expand_all("/acme/x") == "/acme/x");
    CHECK(parsed("/{channel}/{channel}", channel).expand_all("a") == "/a/a");
    CHECK(error_of("/redis/{folder}", channel) == "{folder} is not known here; the placeholders are {channel}");
}

TEST_CASE("templates that do not parse say why", "[redis][template]") {
    CHECK(error_of("events{folder") == "'{' at 6 is not closed (write {{ for a literal brace)");
    CHECK(error_of("events{}") == "{} names no attribute");
    CHECK(error_of("a{b{c}") == "'{' inside a placeholder (write {{ for a literal brace)");
    CHECK(error_of("{") == "'{' at 0 is not closed (write {{ for a literal brace)");
}
