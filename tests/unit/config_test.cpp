#include "config/config.hpp"
#include "config/option_validator.hpp"
#include "config/yaml_source.hpp"
#include "logging.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>

using namespace araldo::detail;

namespace {

env_lookup env_of(std::map<std::string, std::string> vars) {
    return [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

// The ARALDO_* entries of `vars` as the process's variables.
env_listing araldo_vars(const std::map<std::string, std::string>& vars) {
    env_listing out;
    for (const auto& [name, value] : vars)
        if (name.starts_with("ARALDO_")) out.push_back({name, value});
    return out;
}

config parse(const std::string& text, std::map<std::string, std::string> vars = {}) {
    return parse_config(parse_yaml(text, "t.yaml"), "t.yaml", env_of(vars), araldo_vars(vars));
}

// The error's first line, "t.yaml:L:C: reason".
std::string error_of(const std::string& text, std::map<std::string, std::string> vars = {}) {
    try {
        parse(text, std::move(vars));
    } catch (const araldo::config_error& e) {
        std::string what = e.what();
        return what.substr(0, what.find('\n'));
    }
    return "no error";
}

std::string hint_of(const std::string& text) {
    try {
        parse(text);
    } catch (const araldo::config_error& e) {
        return e.hint();
    }
    return "no error";
}

const char* original = R"(global:
    server-port: 54321
    log-level: debug
plugins:
  araldo.marshalling:
   - name: marshal-json
     id: marshal-json
  araldo.endpoints.endpoint:
    - name: mock_1
      id: endpoint-mock
      channel: channel_1
routes:
  mock_1:
    - mock_1
)";

}  // namespace

TEST_CASE("the original araldo schema loads unchanged", "[config]") {
    config c = parse(original);
    CHECK(c.global.server_port == 54321);
    CHECK(c.global.log_level == "debug");
    CHECK(c.global.bind == "127.0.0.1");
    CHECK(c.global.shutdown_timeout == std::chrono::seconds(5));
    REQUIRE(c.marshallers.size() == 1);
    CHECK(c.marshallers[0].name == "marshal-json");
    REQUIRE(c.endpoints.size() == 1);
    CHECK(c.endpoints[0].id == "endpoint-mock");
    CHECK(c.endpoints[0].node["channel"].Scalar() == "channel_1");
    REQUIRE(c.routes.size() == 1);
    CHECK(c.routes[0].source == "mock_1");
    REQUIRE(c.routes[0].targets.size() == 1);
    CHECK(c.routes[0].targets[0].name == "mock_1");
}

TEST_CASE("both route forms, with type filters", "[config][route]") {
    config c = parse(R"(plugins:
  araldo.endpoints.endpoint:
    - {name: chat, id: endpoint-mock}
    - {name: events, id: endpoint-mock}
    - {name: audit, id: endpoint-mock}
routes:
  chat: [chat, audit]
  events:
    - chat
    - { to: audit, type: "comment-*" }
  audit: chat
)");
    REQUIRE(c.routes.size() == 3);
    CHECK(c.routes[0].targets.size() == 2);
    CHECK(c.routes[1].targets[1].name == "audit");
    CHECK(c.routes[1].targets[1].type_glob == "comment-*");
    CHECK(c.routes[1].targets[1].mark.line == 10);
    CHECK(c.routes[2].targets[0].name == "chat");
}

TEST_CASE("route targets may filter on folders", "[config][route][folder]") {
    config c = parse(R"(plugins:
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-mock}
    - {name: audit, id: endpoint-mock}
routes:
  emit:
    - audit
    - { to: audit, folder: "/acme/**", type: "sensor_*" }
    - { to: audit, folder: "${TENANT}/*" }
    - { to: audit, folder: "**" }
)",
                     {{"TENANT", "/tenant-a"}});
    const auto& t = c.routes[0].targets;
    REQUIRE(t.size() == 4);
    CHECK_FALSE(t[0].folder);
    REQUIRE(t[1].folder);
    CHECK(t[1].folder->text() == "/acme/**");
    CHECK(t[1].type_glob == "sensor_*");
    REQUIRE(t[2].folder);
    CHECK(t[2].folder->text() == "/tenant-a/*");
    CHECK(t[2].folder->matches("/tenant-a/x"));
    REQUIRE(t[3].folder);
    CHECK(t[3].folder->matches(araldo::attributes{}));
}

TEST_CASE("a folder filter that could never match is a config error at its position", "[config][route][folder]") {
    const std::string head =
        "plugins:\n  araldo.endpoints.endpoint:\n    - {name: chat, id: endpoint-mock}\nroutes:\n  chat:\n";
    CHECK(error_of(head + "    - {to: chat, folder: \"acme/*\"}\n") ==
          "t.yaml:6:26: folder: a folder glob starts with '/' (or is \"**\" alone, for every message)");
    CHECK(hint_of(head + "    - {to: chat, folder: \"acme/*\"}\n") ==
          "e.g. \"/acme/**\" (this folder and everything below it) or \"/acme/*/pi-?\"");
    CHECK(error_of(head + "    - {to: chat, folder: /acme/}\n") ==
          "t.yaml:6:26: folder: a folder glob cannot end with '/'");
    CHECK(error_of(head + "    - to: chat\n      folder: /acme/../x\n") ==
          "t.yaml:7:15: folder: a folder glob cannot hold a '.' or '..' segment");
    CHECK(error_of(head + "    - {to: chat, folder: \"/a**\"}\n") ==
          "t.yaml:6:26: folder: '**' in a folder glob stands for whole segments: write /a/**/b, not /a**b");
    CHECK(error_of(head + "    - {to: chat, folder: \"\"}\n") == "t.yaml:6:26: folder: a folder glob cannot be empty");
    CHECK(error_of(head + "    - {to: chat, folder: [/a]}\n") == "t.yaml:6:26: folder: expected a string");
    CHECK(error_of(head + "    - {to: chat, fodler: /a}\n") == "t.yaml:6:18: unknown key 'fodler' in route target");
    CHECK(hint_of(head + "    - {to: chat, fodler: /a}\n") == "did you mean 'folder'?");
}

TEST_CASE("global settings: defaults, substitution and environment overrides", "[config][env]") {
    const char* text = R"(global:
  server-port: ${PORT:-8080}
  data-dir: ${DATA}
  shutdown-timeout: 250ms
  plugin-dirs: [/opt/a, /opt/b]
)";
    config c = parse(text, {{"DATA", "/var/lib/araldo"}});
    CHECK(c.global.server_port == 8080);
    CHECK(c.global.data_dir == "/var/lib/araldo");
    CHECK(c.global.shutdown_timeout == std::chrono::milliseconds(250));
    CHECK(c.global.plugin_dirs == std::vector<std::string>{"/opt/a", "/opt/b"});

    config o = parse(
        text, {{"DATA", "/d"}, {"ARALDO_SERVER_PORT", "9999"}, {"ARALDO_LOG_LEVEL", "warn"}, {"ARALDO_BIND", "::1"}});
    CHECK(o.global.server_port == 9999);
    CHECK(o.global.log_level == "warn");
    CHECK(o.global.bind == "::1");

    CHECK_THROWS_WITH(parse(text, {{"DATA", "/d"}, {"ARALDO_SERVER_PORT", "many"}}),
                      Catch::Contains("environment ARALDO_SERVER_PORT") && Catch::Contains("expected integer"));
    CHECK(error_of(text) == "t.yaml:3:13: environment variable DATA is not set");
}

TEST_CASE("an environment override's error names the variable, not a line of the file", "[config][env]") {
    const char* text = "global:\n  server-port: 1\n  bind: 127.0.0.1\n  log-level: info\n";
    CHECK(error_of(text, {{"ARALDO_SERVER_PORT", "70000"}}) ==
          "environment ARALDO_SERVER_PORT: server-port: must be between 0 and 65535, got 70000");
    CHECK(error_of(text, {{"ARALDO_SERVER_PORT", "many"}}) ==
          "environment ARALDO_SERVER_PORT: server-port: expected integer, got \"many\"");
    CHECK(error_of(text, {{"ARALDO_LOG_LEVEL", "loud"}}) ==
          "environment ARALDO_LOG_LEVEL: log-level: must be one of: trace, debug, info, warn, warning, error, "
          "critical, fatal, off; got 'loud'");
    CHECK(error_of(text, {{"ARALDO_BIND", "localhost"}}) ==
          "environment ARALDO_BIND: bind: 'localhost' is not an IP address");
}

TEST_CASE("log levels: warning and fatal are aliases, everywhere through one parser", "[config]") {
    CHECK(parse("global:\n  log-level: warning\n").global.log_level == "warn");
    CHECK(parse("global:\n  log-level: fatal\n").global.log_level == "critical");
    CHECK(parse("global:\n  log-level: debug\n", {{"ARALDO_LOG_LEVEL", "warning"}}).global.log_level == "warn");
    CHECK(parse_log_level("fatal") == spdlog::level::critical);
    CHECK(parse_log_level("warning") == spdlog::level::warn);
    CHECK(parse_log_level("off") == spdlog::level::off);
    // The table's one_of and the parser name the same levels.
    const auto& table = global_option_table();
    const auto spec = std::find_if(table.begin(), table.end(), [](const auto& s) { return s.name == "log-level"; });
    REQUIRE(spec != table.end());
    for (const auto& level : spec->one_of) CHECK(parse_log_level(level));
    CHECK_FALSE(parse_log_level("loud"));
    CHECK_NOTHROW(set_log_level("fatal"));
    CHECK_THROWS_AS(set_log_level("loud"), std::invalid_argument);
    set_log_level("info");
}

TEST_CASE("bind must be an IP address: a name would pass --check and fail at start", "[config]") {
    CHECK(error_of("global:\n  bind: localhost\n") == "t.yaml:2:9: bind: 'localhost' is not an IP address");
    CHECK(parse("global:\n  bind: \"::1\"\n").global.bind == "::1");
    CHECK(parse("global:\n  bind: 0.0.0.0\n").global.bind == "0.0.0.0");
}

TEST_CASE("relative paths in global are resolved against the config file's folder", "[config][paths]") {
    namespace fs = std::filesystem;
    araldo::test::temp_dir dir;
    fs::create_directories(dir / "conf/web");
    const std::string file = dir / "conf/araldo.yaml";
    auto load = [&](const std::string& text) { return parse_config(parse_yaml(text, file), file, env_of({}), {}); };
    const auto c = load("global:\n  data-dir: state\n  static-dir: ./web\n  plugin-dirs: [../plugins, /abs]\n");
    CHECK(c.global.data_dir == dir / "conf/state");
    CHECK(c.global.static_dir == dir / "conf/web");
    CHECK(c.global.plugin_dirs == std::vector<std::string>{dir / "plugins", "/abs"});
    // The default too: ./data beside the file, not in the caller's folder.
    CHECK(load("global: {}\n").global.data_dir == dir / "conf/data");
    CHECK(load("global:\n  static-dir: none\n").global.static_dir == "none");
    CHECK(load("global:\n  static-dir: \"\"\n").global.static_dir.empty());
    CHECK_THROWS_WITH(load("global:\n  static-dir: nope\n"), Catch::Contains("araldo.yaml:2:15: static-dir: folder " +
                                                                             (dir / "conf/nope") + " does not exist"));
}

TEST_CASE("every config error names file, line and column", "[config]") {
    CHECK(error_of("globl:\n  server-port: 1\n") == "t.yaml:1:1: unknown key 'globl' in the top level");
    CHECK(hint_of("globl:\n  server-port: 1\n") == "did you mean 'global'?");
    CHECK(error_of("global:\n  server-prot: 1\n") == "t.yaml:2:3: unknown key 'server-prot' in global");
    CHECK(hint_of("global:\n  server-prot: 1\n") == "did you mean 'server-port'?");
    CHECK(error_of("global:\n  server-port: lots\n") == "t.yaml:2:16: server-port: expected integer, got \"lots\"");
    CHECK(error_of("global:\n  server-port: 70000\n") ==
          "t.yaml:2:16: server-port: must be between 0 and 65535, got 70000");
    CHECK(error_of("global:\n  shutdown-timeout: 5\n") == "t.yaml:2:21: shutdown-timeout: \"5\" is not a duration");
    CHECK(error_of("global:\n  log-level: loud\n") ==
          "t.yaml:2:14: log-level: must be one of: trace, debug, info, warn, warning, error, critical, fatal, off; "
          "got 'loud'");
    CHECK_THAT(hint_of("global:\n  log-level: loud\n"), Catch::Contains("warning is warn"));
    CHECK(hint_of("global:\n  log-level: debgu\n") == "did you mean 'debug'?");
    CHECK(error_of("global:\n  bind: [a, b]\n") == "t.yaml:2:9: bind: expected string, got a list");
    CHECK(error_of("global:\n  bind: a\n  bind: b\n") == "t.yaml:3:3: duplicate key 'bind' in global");
}

TEST_CASE("plugin entries: names, ids and references are checked", "[config]") {
    CHECK(error_of(R"(plugins:
  araldo.endpoints.endpoint:
    - {name: a, id: endpoint-mock}
    - {name: a, id: endpoint-mock}
)") == "t.yaml:4:14: duplicate name 'a'");
    CHECK(error_of(R"(plugins:
  araldo.endpoints.endpoint:
    - id: endpoint-mock
)") == "t.yaml:3:7: araldo.endpoints.endpoint entry has no 'name'");
    CHECK(error_of(R"(plugins:
  araldo.endpoints.endpoint:
    - name: a
      id: endpoint-mock
      marshalling: jsno
  araldo.marshalling:
    - {name: json, id: marshal-json}
)") == "t.yaml:5:20: endpoint 'a' uses undefined marshaller 'jsno'");
    CHECK(error_of("plugins:\n  araldo.endpoint:\n    - {name: a, id: b}\n") ==
          "t.yaml:2:3: unknown key 'araldo.endpoint' in plugins");
    CHECK(error_of("plugins:\n  araldo.endpoints.endpoint: {name: a}\n") ==
          "t.yaml:2:30: araldo.endpoints.endpoint: expected a list of plugin entries");
}

TEST_CASE("routes must name defined endpoints", "[config][route]") {
    const std::string endpoints = "plugins:\n  araldo.endpoints.endpoint:\n    - {name: chat, id: endpoint-mock}\n";
    CHECK(error_of(endpoints + "routes:\n  chat: [caht]\n") ==
          "t.yaml:5:10: route target 'caht' is not a defined endpoint");
    CHECK(hint_of(endpoints + "routes:\n  chat: [caht]\n") == "did you mean 'chat'?");
    CHECK(error_of(endpoints + "routes:\n  nope: [chat]\n") ==
          "t.yaml:5:3: route source 'nope' is not a defined endpoint");
    CHECK(error_of(endpoints + "routes:\n  chat:\n    - {to: chat, tpye: x}\n") ==
          "t.yaml:6:18: unknown key 'tpye' in route target");
    CHECK(error_of(endpoints + "routes:\n  chat:\n    - {type: x}\n") == "t.yaml:6:7: route target has no 'to'");
    CHECK(error_of(endpoints + "routes:\n  chat: [chat]\n  chat: [chat]\n") ==
          "t.yaml:6:3: duplicate route for 'chat'");
    CHECK(error_of(endpoints + "routes: [chat]\n") == "t.yaml:4:9: routes: expected a mapping of source to targets");
}

TEST_CASE("hostile YAML gets an error, not a crash", "[config]") {
    SECTION("syntax errors carry the position") {
        CHECK(error_of("global:\n  bind: [unclosed\n").starts_with("t.yaml:"));
        CHECK(error_of("global:\n  bind: [unclosed\n").find("invalid YAML") != std::string::npos);
    }
    SECTION("deep nesting") {
        // Stopped by the parser's own guard, which only says "bad file".
        std::string deep(100000, '[');
        CHECK(error_of(deep) == "t.yaml:1:65: nesting deeper than 64 levels");  // the 65th '[', not the end
        CHECK(error_of("global:\n  bind: \"[[\" # [[[\n  x: " + deep) == "t.yaml:3:70: nesting deeper than 64 levels");
        CHECK(error_of("global:\n  bind: it's\n  x: " + deep) == "t.yaml:3:70: nesting deeper than 64 levels");
        std::string block;
        for (int i = 0; i < 2100; ++i) block += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
        CHECK_THAT(error_of(block), Catch::StartsWith("t.yaml:") && Catch::Contains("nesting deeper than 64"));
        std::string nested = "global:\n  bind: " + std::string(100, '[') + std::string(100, ']') + "\n";
        CHECK(error_of(nested).find("nesting deeper than 64") != std::string::npos);
    }
    SECTION("alias bomb") {
        std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
        char prev = 'a';
        for (char c = 'b'; c <= 'j'; ++c, ++prev) {
            bomb += std::string(1, c) + ": &" + c + " [";
            for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
            bomb += "]\n";
        }
        CHECK(error_of(bomb).find("document too large") != std::string::npos);
    }
    SECTION("huge scalar") {
        std::string huge = "global:\n  bind: " + std::string(5 * 1024 * 1024, 'x') + "\n";
        CHECK(error_of(huge).find("larger than") != std::string::npos);
        std::string big_value = "global:\n  bind: " + std::string(1024 * 1024 + 10, 'x') + "\n";
        CHECK(error_of(big_value).find("value longer than") != std::string::npos);
    }
    SECTION("not a mapping") {
        CHECK(error_of("- just\n- a list\n") == "t.yaml:1:1: expected a mapping at the top level");
        CHECK(error_of("") == "t.yaml:1:1: the config is empty");
    }
}

TEST_CASE("listeners: server-port alone is one plain listener named default", "[config][listeners]") {
    auto c = parse("global:\n  server-port: 8080\n  bind: ::1\n");
    REQUIRE(c.listeners.size() == 1);
    CHECK(c.listeners[0].name == "default");
    CHECK(c.listeners[0].port == 8080);
    CHECK(c.listeners[0].bind == "::1");
    CHECK_FALSE(c.listeners[0].tls);
    CHECK(c.core_listeners.empty());
}

TEST_CASE("listeners: several, plain and TLS, with paths resolved and endpoint limits", "[config][listeners]") {
    auto c = parse(
        "global:\n"
        "  listeners:\n"
        "    - {name: public, port: 8443, bind: 0.0.0.0, tls: {cert: c.pem, key: k.pem, ca: ca.pem, client-certs: "
        "required, min-version: \"1.3\"}}\n"
        "    - {name: private, port: 9090}\n"
        "  core-listeners: [private]\n"
        "plugins:\n"
        "  araldo.endpoints.endpoint:\n"
        "    - {name: chat, id: endpoint-websocket, listeners: public}\n");
    REQUIRE(c.listeners.size() == 2);
    const auto& pub = c.listeners[0];
    CHECK(pub.name == "public");
    CHECK(pub.port == 8443);
    CHECK(pub.bind == "0.0.0.0");
    REQUIRE(pub.tls);
    CHECK(pub.tls->cert == (std::filesystem::current_path() / "c.pem").string());
    CHECK(pub.tls->client_certs == client_cert_mode::required);
    CHECK(pub.tls->min_version == "1.3");
    CHECK(pub.tls->handshake_timeout == std::chrono::seconds(10));
    CHECK(c.listeners[1].bind == "127.0.0.1");
    CHECK_FALSE(c.listeners[1].tls);
    CHECK(c.core_listeners == std::vector<std::string>{"private"});
    REQUIRE(c.endpoints.size() == 1);
    CHECK(c.endpoints[0].listeners == std::vector<std::string>{"public"});
}

TEST_CASE("listeners: errors point at the listener and say what is wrong", "[config][listeners]") {
    const std::string head = "global:\n  listeners:\n";
    CHECK(error_of(head + "    - {name: a, port: 1}\n    - {name: a, port: 2}\n") ==
          "t.yaml:4:14: name: duplicate listener name 'a'");
    CHECK(error_of(head + "    - {port: 1}\n") == "t.yaml:3:7: listeners[0]: missing required option 'name'");
    CHECK(error_of(head + "    - {name: 'a b', port: 1}\n") == "t.yaml:3:14: name: 'a b' is not a valid listener name");
    CHECK(error_of(head + "    - {name: a, port: 70000}\n").find("port") != std::string::npos);
    CHECK(error_of(head + "    - {name: a, port: 1, bind: localhost}\n") ==
          "t.yaml:3:32: bind: 'localhost' is not an IP address");
    CHECK(error_of(head + "    - {name: a, port: 1, tls: {key: k.pem}}\n") ==
          "t.yaml:3:31: cert: a TLS listener needs cert");
    CHECK(error_of(head + "    - {name: a, port: 1, tls: {cert: c, key: k, client-certs: optional}}\n") ==
          "t.yaml:3:63: client-certs: optional needs ca");
    CHECK(error_of(head + "    - {name: a, port: 1, tls: {cert: c, key: k, ca: x}}\n") ==
          "t.yaml:3:53: ca: ca verifies client certificates, but client-certs is none");
    CHECK(error_of(head + "    - name\n") == "t.yaml:3:7: listeners[0]: expected a mapping");
    CHECK(error_of("global:\n  bind: 0.0.0.0\n  listeners: [{name: a, port: 1}]\n") ==
          "t.yaml:2:9: bind: bind cannot be combined with listeners");
    CHECK(error_of(head + "    - {name: a, port: 1}\n  core-listeners: [b]\n") ==
          "t.yaml:4:19: no listener is named 'b'");
    CHECK(error_of(head + "    - {name: public, port: 1}\nplugins:\n  araldo.endpoints.endpoint:\n"
                          "    - {name: e, id: endpoint-http, listeners: [pubic]}\n") ==
          "t.yaml:6:47: no listener is named 'pubic'");
}

namespace {

const char* two_instances = R"(global:
  server-port: ${ARALDO_PORT:-8080}
plugins:
  araldo.marshalling:
    - name: json
      id: marshal-json
  araldo.endpoints.endpoint:
    - name: chat-room
      id: endpoint-websocket
routes:
  chat-room: [chat-room]
)";

const araldo::option_table& chat_table() {
    static const araldo::option_table table{
        {"max-clients", araldo::option_type::integer, "10"},
        {"allowed-origins", araldo::option_type::string_list, "[]"},
        {"auth",
         araldo::option_type::object,
         std::nullopt,
         "",
         false,
         {{"tokens", araldo::option_type::string_list, "[]"}, {"jwt-secret", araldo::option_type::string, ""}}},
    };
    return table;
}

// The endpoint's options after its ARALDO_ variables, as build_endpoints() validates them.
araldo::options chat_options(const config& c) {
    const auto& inst = c.endpoints.at(0);
    apply_instance_env(inst, chat_table(), "endpoint 'chat-room'");
    const env_lookup env = env_of({});
    validation_input in{inst.node, chat_table(), c.file, env, endpoint_reserved_keys, "endpoint 'chat-room'"};
    return validate_options(in);
}

std::string env_error(const std::map<std::string, std::string>& vars) {
    try {
        chat_options(parse(two_instances, vars));
    } catch (const araldo::config_error& e) {
        return std::string(e.what());
    }
    return "no error";
}

}  // namespace

TEST_CASE("every global setting can be set as ARALDO_<SETTING>", "[config][env]") {
    // Iterates the table, so that a new setting cannot be forgotten: each one
    // read from a variable must be the value the options hold, and say so.
    for (const auto& spec : global_option_table()) {
        std::string name = "ARALDO_";
        for (char ch : spec.name) name += ch == '-' ? '_' : static_cast<char>(std::toupper(ch));
        INFO(name);
        CHECK(env_spelling(spec.name) == name.substr(7));
        // The default, written in the variable instead of the file, passes for
        // every setting but one that the file's server-port excludes.
        if (spec.name == "listeners" || !spec.default_value) continue;
        const config c = parse("global:\n  data-dir: /d\n", {{name, *spec.default_value}});
        CHECK(c.global_options.given(spec.name));
        CHECK(c.global_options.mark(spec.name).file == "environment " + name);
    }
    const config c = parse("global:\n  shutdown-timeout: 1s\n", {{"ARALDO_SHUTDOWN_TIMEOUT", "250ms"},
                                                                 {"ARALDO_PLUGIN_DIRS", "[/a, /b]"},
                                                                 {"ARALDO_ADMIN_TOKEN", "*not: yaml"},
                                                                 {"ARALDO_LOG_LEVELS", "{emit: warn}"},
                                                                 {"ARALDO_LOG_FORMAT", "json"},
                                                                 {"ARALDO_LISTENERS", "[{name: a, port: 0}]"}});
    CHECK(c.global.shutdown_timeout == std::chrono::milliseconds(250));
    CHECK(c.global.plugin_dirs == std::vector<std::string>{"/a", "/b"});
    CHECK(c.global.admin_token == "*not: yaml");  // a string is taken as written
    CHECK(c.logging.levels == araldo::string_pairs{{"emit", "warn"}});
    CHECK(c.logging.json);
    REQUIRE(c.listeners.size() == 1);
    CHECK(c.listeners[0].name == "a");
}

TEST_CASE("ARALDO_<ENDPOINT>__<OPTION> sets an endpoint's option, nested with further __", "[config][env]") {
    const auto o = chat_options(parse(two_instances, {{"ARALDO_CHAT_ROOM__MAX_CLIENTS", "5"},
                                                      {"ARALDO_CHAT_ROOM__ALLOWED_ORIGINS", R"(["https://a.example"])"},
                                                      {"ARALDO_CHAT_ROOM__AUTH__TOKENS", "[x, y]"},
                                                      {"ARALDO_CHAT_ROOM__AUTH__JWT_SECRET", "$$ stays"}}));
    CHECK(o.integer("max-clients") == 5);
    CHECK(o.mark("max-clients").file == "environment ARALDO_CHAT_ROOM__MAX_CLIENTS");
    CHECK(o.string_list("allowed-origins") == std::vector<std::string>{"https://a.example"});
    CHECK(o.object("auth").string_list("tokens") == std::vector<std::string>{"x", "y"});
    CHECK(o.object("auth").string("jwt-secret") == "$$ stays");  // no ${} substitution in a variable's value
}

TEST_CASE("a variable that does not validate or names nothing is an error naming it", "[config][env]") {
    CHECK_THAT(env_error({{"ARALDO_CHAT_ROOM__MAX_CLIENTS", "many"}}),
               Catch::StartsWith("environment ARALDO_CHAT_ROOM__MAX_CLIENTS: max-clients: expected integer"));
    CHECK_THAT(env_error({{"ARALDO_CHAT_ROOM__MAX_CLINTS", "5"}}),
               Catch::Contains("endpoint 'chat-room' has no option MAX_CLINTS") &&
                   Catch::Contains("did you mean ARALDO_CHAT_ROOM__MAX_CLIENTS?"));
    CHECK_THAT(env_error({{"ARALDO_CHAT_ROM__MAX_CLIENTS", "5"}}),
               Catch::Contains("there is no endpoint or marshaller CHAT_ROM") &&
                   Catch::Contains("did you mean ARALDO_CHAT_ROOM__MAX_CLIENTS?"));
    CHECK_THAT(env_error({{"ARALDO_CHAT_ROOM__MAX_CLIENTS__X", "5"}}), Catch::Contains("max-clients is not a mapping"));
    CHECK_THAT(env_error({{"ARALDO_CHAT_ROOM_MAX_CLIENTS", "5"}}),
               Catch::Contains("did you mean ARALDO_CHAT_ROOM__MAX_CLIENTS?"));
    CHECK_THAT(env_error({{"ARALDO_SHUTDOWN_TIMOUT", "5s"}}), Catch::Contains("did you mean ARALDO_SHUTDOWN_TIMEOUT?"));
    CHECK_THAT(env_error({{"ARALDO_SHUTDOWN_TIMEOUT", "5"}}),
               Catch::StartsWith("environment ARALDO_SHUTDOWN_TIMEOUT: shutdown-timeout: \"5\" is not a duration"));
}

TEST_CASE("an ARALDO_ variable that only ${} uses, or that is nowhere near a setting, passes", "[config][env]") {
    const config c = parse(two_instances, {{"ARALDO_PORT", "9000"}, {"ARALDO_SOMETHING_ELSE", "1"}});
    CHECK(c.global.server_port == 9000);
    CHECK(c.warnings == std::vector<std::string>{"ARALDO_SOMETHING_ELSE is set but matches no setting and no "
                                                 "${ARALDO_SOMETHING_ELSE} in the file; ignored"});
    CHECK(parse(two_instances, {{"ARALDO_CONFIG", "x.yaml"}}).warnings.empty());
}

TEST_CASE("log-levels names loggers that exist, with levels that exist", "[config][logs]") {
    CHECK(error_of(std::string(two_instances) + "") == "no error");
    CHECK_THAT(error_of("global:\n  log-levels: {endpoint/chat: debug}\n"),
               Catch::Contains("log-levels: there is no logger 'endpoint/chat'"));
    CHECK_THAT(error_of("global:\n  log-levels: {emit: loud}\n"), Catch::Contains("'loud' (for emit) is not a level"));
    const config c = parse(
        "global:\n  log-levels: {core: warn, emit: off}\nplugins:\n  araldo.endpoints.endpoint:\n    - name: hooks\n"
        "      id: endpoint-webhook\n");
    CHECK(c.logging.levels.size() == 2);
}
