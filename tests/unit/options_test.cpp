#include "config/config.hpp"
#include "config/option_rules.hpp"
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
    {"auth",
     option_type::object,
     std::nullopt,
     "authentication",
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
    CHECK(
        error_of("path: /x\nehco: true\n")
            .starts_with(
                "p.yaml:2:1: unknown key 'ehco' in endpoint 'ws' (endpoint-websocket)\n  hint: did you mean 'echo'?"));
    CHECK(error_of("echo: true\n")
              .starts_with("p.yaml:1:1: endpoint 'ws' (endpoint-websocket): missing required option 'path'"));
    CHECK(error_of("path: /x\necho: maybe\n").starts_with("p.yaml:2:7: echo: expected boolean, got \"maybe\""));
    CHECK(error_of("path: /x\nmax-clients: 1.5\n").starts_with("p.yaml:2:14: max-clients: expected integer"));
    CHECK(error_of("path: /x\nping-interval: soon\n")
              .starts_with("p.yaml:2:16: ping-interval: \"soon\" is not a duration"));
    CHECK(error_of("path: /x\nmax-message-size: big\n")
              .starts_with("p.yaml:2:19: max-message-size: \"big\" is not a size"));
    CHECK(
        error_of("path: /x\nheaders: [a]\n").starts_with("p.yaml:2:10: headers: expected map of strings, got a list"));
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

namespace {

// One option of each kind that takes a rule.
const option_table ruled{
    {.name = "mode",
     .type = option_type::string,
     .default_value = "safe",
     .description = "how to go",
     .one_of = {"fast", "safe"}},
    {.name = "features", .type = option_type::string_list, .default_value = "[]", .one_of = {"gzip", "tls", "auth"}},
    {.name = "workers",
     .type = option_type::integer,
     .default_value = "4",
     .description = "threads",
     .min = "1",
     .max = "64"},
    {.name = "timeout", .type = option_type::duration, .default_value = "5s", .min = "1ms"},
    {.name = "burst", .type = option_type::size, .default_value = "1KiB", .max = "64KiB"},
    {.name = "schedule", .type = option_type::duration_list, .default_value = "[1s]", .min = "1s"},
    {.name = "limits",
     .type = option_type::object,
     .default_value = std::nullopt,
     .fields = {{.name = "depth", .type = option_type::integer, .default_value = "8", .min = "1"}}},
};

options validate_ruled(const std::string& text) {
    YAML::Node node = parse_yaml(text, "r.yaml");
    validation_input in{node, ruled, "r.yaml", no_env, {}, "endpoint 'r' (endpoint-ruled)"};
    return validate_options(in);
}

// "file:line:col: reason" and the hint, apart.
std::pair<std::string, std::string> refusal(const std::string& text) {
    try {
        validate_ruled(text);
    } catch (const config_error& e) {
        return {e.mark().str() + ": " + e.reason(), e.hint()};
    }
    return {"no error", ""};
}

std::string table_problem(const option_table& t) {
    try {
        check_option_table(t);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "no problem";
}

}  // namespace

TEST_CASE("values within one_of and the bounds pass, the bounds included", "[config][options]") {
    auto o = validate_ruled(
        "mode: fast\nfeatures: [tls, gzip]\nworkers: 64\ntimeout: 1ms\nburst: 64KiB\n"
        "schedule: [1s, 2h]\nlimits: {depth: 1}\n");
    CHECK(o.string("mode") == "fast");
    CHECK(o.string_list("features") == std::vector<std::string>{"tls", "gzip"});
    CHECK(o.integer("workers") == 64);
    CHECK(o.duration("timeout") == std::chrono::milliseconds(1));
    CHECK(o.size("burst") == 65536u);
    CHECK(o.object("limits").integer("depth") == 1);
    CHECK(validate_ruled("workers: 1\n").integer("workers") == 1);
    CHECK(validate_ruled("features: auth\n").string_list("features") == std::vector<std::string>{"auth"});
    // Defaults obey their own rules.
    auto d = validate_ruled("{}\n");
    CHECK(d.string("mode") == "safe");
    CHECK(d.integer("workers") == 4);
}

TEST_CASE("a value outside one_of is refused at its position, with the nearest allowed one", "[config][options]") {
    CHECK(refusal("mode: fsat\n") ==
          std::pair<std::string, std::string>{"r.yaml:1:7: mode: must be one of: fast, safe; got 'fsat'",
                                              "did you mean 'fast'?"});
    // Nothing close: the hint is the option's description.
    CHECK(refusal("mode: turbo\n").second == "mode: how to go");
    // Matched exactly: case counts, but the hint finds it.
    CHECK(refusal("mode: SAFE\n") ==
          std::pair<std::string, std::string>{"r.yaml:1:7: mode: must be one of: fast, safe; got 'SAFE'",
                                              "did you mean 'safe'?"});
    // Each element of a list, at the element.
    CHECK(refusal("features: [gzip, tsl]\n") ==
          std::pair<std::string, std::string>{"r.yaml:1:18: features: must be one of: gzip, tls, auth; got 'tsl'",
                                              "did you mean 'tls'?"});
    CHECK(refusal("features: brotli\n").first ==
          "r.yaml:1:11: features: must be one of: gzip, tls, auth; got 'brotli'");
}

TEST_CASE("a value outside min and max is refused at its position, saying the bound", "[config][options]") {
    CHECK(refusal("workers: 0\n") == std::pair<std::string, std::string>{
                                         "r.yaml:1:10: workers: must be between 1 and 64, got 0", "workers: threads"});
    CHECK(refusal("workers: 65\n").first == "r.yaml:1:10: workers: must be between 1 and 64, got 65");
    CHECK(refusal("workers: -3\n").first == "r.yaml:1:10: workers: must be between 1 and 64, got -3");
    CHECK(refusal("timeout: 0s\n").first == "r.yaml:1:10: timeout: must be at least 1ms, got 0s");
    CHECK(refusal("timeout: 0\n").first == "r.yaml:1:10: timeout: must be at least 1ms, got 0");
    CHECK(refusal("burst: 65KiB\n").first == "r.yaml:1:8: burst: must be at most 64KiB, got 65KiB");
    CHECK(refusal("burst: 65537\n").first == "r.yaml:1:8: burst: must be at most 64KiB, got 65537");
    CHECK(refusal("schedule: [1s, 500ms]\n").first == "r.yaml:1:16: schedule: must be at least 1s, got 500ms");
    CHECK(refusal("limits:\n  depth: 0\n").first == "r.yaml:2:10: depth: must be at least 1, got 0");
}

TEST_CASE("the rules describe themselves for the reference", "[config][options]") {
    CHECK(describe_rules(ruled[0]) == "one of `fast`, `safe`");
    CHECK(describe_rules(ruled[1]) == "each one of `gzip`, `tls`, `auth`");
    CHECK(describe_rules(ruled[2]) == "from `1` to `64`");
    CHECK(describe_rules(ruled[3]) == "at least `1ms`");
    CHECK(describe_rules(ruled[4]) == "at most `64KiB`");
    CHECK(describe_rules(ruled[5]) == "each at least `1s`");
    CHECK(describe_rules(table[0]).empty());
}

TEST_CASE("a table's own mistakes are found before any config uses it", "[config][options][plugin]") {
    CHECK(table_problem(ruled) == "no problem");
    CHECK(table_problem(table) == "no problem");
    CHECK(table_problem(global_option_table()) == "no problem");
    auto one = [](option_spec spec) { return table_problem(option_table{std::move(spec)}); };
    CHECK(one({.name = "n", .type = option_type::integer, .default_value = std::nullopt, .min = "lots"}) ==
          "option 'n': min \"lots\" is not a valid integer");
    CHECK(one({.name = "d", .type = option_type::duration, .default_value = std::nullopt, .max = "5"}) ==
          "option 'd': max \"5\" is not a valid duration");
    CHECK(one({.name = "s", .type = option_type::size, .default_value = std::nullopt, .min = "1 parsec"}) ==
          "option 's': min \"1 parsec\" is not a valid size");
    CHECK(one({.name = "n", .type = option_type::integer, .default_value = std::nullopt, .min = "10", .max = "1"}) ==
          "option 'n': min 10 is above max 1");
    CHECK(one({.name = "p", .type = option_type::string, .default_value = std::nullopt, .min = "1"}) ==
          "option 'p': min and max apply to integer, duration and size options, not to a string");
    CHECK(one({.name = "n", .type = option_type::integer, .default_value = std::nullopt, .one_of = {"1", "2"}}) ==
          "option 'n': one_of applies to string and list of strings options, not to an integer");
    CHECK(one({.name = "n", .type = option_type::integer, .default_value = "0", .min = "1", .max = "64"}) ==
          "option 'n': default \"0\" is refused: must be between 1 and 64, got 0");
    CHECK(one({.name = "m", .default_value = "slow", .one_of = {"fast", "safe"}}) ==
          "option 'm': default \"slow\" is refused: must be one of: fast, safe; got 'slow'");
    CHECK(one({.name = "f", .type = option_type::string_list, .default_value = "[a, z]", .one_of = {"a", "b"}}) ==
          "option 'f': default \"[a, z]\" is refused: must be one of: a, b; got 'z'");
    CHECK(one({.name = "t", .type = option_type::duration, .default_value = "5"}) ==
          "option 't': default \"5\" is refused: \"5\" is not a duration");
    CHECK(one({.name = "o",
               .type = option_type::object,
               .default_value = std::nullopt,
               .fields = {{.name = "depth", .type = option_type::integer, .default_value = "0", .min = "1"}}}) ==
          "option 'o.depth': default \"0\" is refused: must be at least 1, got 0");
    CHECK(table_problem({{"x", option_type::string, std::nullopt}, {"x", option_type::string, std::nullopt}}) ==
          "option 'x': is declared twice");
}
