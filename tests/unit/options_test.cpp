#include "config/option_validator.hpp"
#include "config/yaml_source.hpp"

#include <catch2/catch.hpp>

using namespace araldo;
using namespace araldo::detail;

namespace {

const option_table table{
    {"path", option_type::string, std::nullopt, "where to listen", true},
    {"echo", option_type::boolean, "false", "send a client its own messages"},
    {"max-clients", option_type::integer, "1000", "limit"},
    {"ping-interval", option_type::duration, "25s", "how often to ping"},
    {"max-message-size", option_type::size, "1MiB", "largest frame"},
    {"allowed-origins", option_type::string_list, "[]", "origins"},
    {"retry-schedule", option_type::duration_list, "[0s, 5s]", "retries"},
    {"headers", option_type::string_map, std::nullopt, "extra headers"},
    {"auth", option_type::object, std::nullopt, "authentication",
     false,
     {{"tokens", option_type::string_list, "[]", "static tokens"},
      {"jwt-secret", option_type::string, std::nullopt, "HS256 secret"}}},
};

const env_lookup no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };

options validate(const std::string& text) {
    YAML::Node node = parse_yaml(text, "p.yaml");
    validation_input in{node, table, "p.yaml", no_env, {"name", "id"}, "endpoint 'ws' (endpoint-websocket)"};
    return validate_options(in);
}

std::string error_of(const std::string& text) {
    try {
        validate(text);
    } catch (const config_error& e) {
        std::string what = e.what();
        return what;
    }
    return "no error";
}

}  // namespace

TEST_CASE("options get their types and defaults", "[config][options]") {
    auto o = validate(R"(name: ws
id: endpoint-websocket
path: /chat
echo: yes
max-message-size: 64KiB
allowed-origins: "*"
headers: {X-A: "1", X-B: two}
auth:
  tokens: [a, b]
)");
    CHECK(o.string("path") == "/chat");
    CHECK(o.boolean("echo"));
    CHECK(o.integer("max-clients") == 1000);
    CHECK(o.duration("ping-interval") == std::chrono::seconds(25));
    CHECK(o.size("max-message-size") == 65536u);
    CHECK(o.string_list("allowed-origins") == std::vector<std::string>{"*"});
    CHECK(o.duration_list("retry-schedule") == std::vector<duration>{duration{0}, std::chrono::seconds(5)});
    REQUIRE(o.string_map("headers").size() == 2);
    CHECK(o.string_map("headers")[1] == std::pair<std::string, std::string>{"X-B", "two"});
    CHECK(o.object("auth").string_list("tokens") == std::vector<std::string>{"a", "b"});
    CHECK_FALSE(o.object("auth").has("jwt-secret"));
    CHECK(o.given("echo"));
    CHECK_FALSE(o.given("max-clients"));
    CHECK(o.mark("path").line == 3);
    CHECK_THROWS_AS(o.string("no-such-option"), std::logic_error);
    CHECK_THROWS_AS(o.integer("path"), std::logic_error);
}

TEST_CASE("an absent object still yields its defaults", "[config][options]") {
    auto o = validate("path: /x\n");
    CHECK(o.object("auth").string_list("tokens").empty());
    CHECK_FALSE(o.has("headers"));
}

TEST_CASE("option errors point at the option", "[config][options]") {
    CHECK(error_of("path: /x\nehco: true\n").starts_with(
        "p.yaml:2:1: unknown key 'ehco' in endpoint 'ws' (endpoint-websocket)\n  hint: did you mean 'echo'?"));
    CHECK(error_of("echo: true\n").starts_with(
        "p.yaml:1:1: endpoint 'ws' (endpoint-websocket): missing required option 'path'"));
    CHECK(error_of("path: /x\necho: maybe\n").starts_with("p.yaml:2:7: echo: expected boolean, got \"maybe\""));
    CHECK(error_of("path: /x\nmax-clients: 1.5\n").starts_with("p.yaml:2:14: max-clients: expected integer"));
    CHECK(error_of("path: /x\nping-interval: soon\n").starts_with("p.yaml:2:16: ping-interval: \"soon\" is not a duration"));
    CHECK(error_of("path: /x\nmax-message-size: big\n").starts_with("p.yaml:2:19: max-message-size: \"big\" is not a size"));
    CHECK(error_of("path: /x\nheaders: [a]\n").starts_with("p.yaml:2:10: headers: expected map of strings, got a list"));
    CHECK(error_of("path: /x\nauth:\n  token: [a]\n").starts_with("p.yaml:3:3: unknown key 'token' in auth"));
    CHECK(error_of("path: /x\npath: /y\n").starts_with("p.yaml:2:1: duplicate key 'path'"));
    CHECK(error_of("path: {a: b}\n").starts_with("p.yaml:1:7: path: expected string, got a mapping"));
}

TEST_CASE("options::fail throws at the option's position", "[config][options]") {
    auto o = validate("name: ws\npath: chat\n");
    try {
        o.fail("path", "must start with /", "write /chat");
        FAIL("expected a throw");
    } catch (const config_error& e) {
        CHECK(std::string(e.what()) == "p.yaml:2:7: path: must start with /\n  hint: write /chat");
    }
}
