// Settings from the environment and --print-config, through the real binary.
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <regex>
#include <sstream>

using namespace araldo::test;

namespace {

// One instance of every in-tree plugin, with what each requires.
const char* every_plugin = R"(global:
  server-port: 0
  admin-token: file-token
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
    - {name: raw, id: marshal-raw}
  araldo.endpoints.endpoint:
    - {name: source, id: endpoint-mock, marshalling: json}
    - {name: out, id: endpoint-file, output: out.txt}
    - {name: emit, id: endpoint-http}
    - {name: cache, id: endpoint-redis, url: "redis://user:hunter2@127.0.0.1:6379", publish: events}
    - name: hooks
      id: endpoint-webhook
      url: http://127.0.0.1:9/x
      headers: {Authorization: Bearer file-bearer}
      secret: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]
    - name: chat-room
      id: endpoint-websocket
      auth: {tokens: [file-ws-token]}
    - {name: devices, id: endpoint-mqtt, url: "mqtt://127.0.0.1:9", publish: {topic: events}}
    - {name: hub, id: endpoint-link, connect: "wss://127.0.0.1:9/link"}
    - {name: service, id: endpoint-upstream, base-url: "http://127.0.0.1:9/"}
routes:
  source: [out]
)";

run_result run_araldo(const temp_dir& dir, std::vector<std::string> args,
                      std::vector<std::pair<std::string, std::string>> env = {}) {
    args.insert(args.begin(), ARALDO_BINARY);
    return run_command(args, dir.path(), std::move(env));
}

// The global settings, as the binary's own reference lists them: name -> default.
std::map<std::string, std::string> global_settings(const temp_dir& dir) {
    const auto ref = run_araldo(dir, {"--print-options"});
    REQUIRE(ref.code == 0);
    std::map<std::string, std::string> out;
    std::istringstream in(ref.out.substr(0, ref.out.find("\n### ", 10)));
    const std::regex row(R"(^\| `([a-z-]+)` \| [^|]* \| `?([^|`]*)`? \|)");
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_search(line, m, row)) out[m[1]] = m[2];
    }
    return out;
}

std::string env_name(const std::string& setting) {
    std::string out = "ARALDO_";
    for (char c : setting) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// The line of --print-config that sets `key` at `indent`, after `after`.
std::string line_of(const std::string& text, const std::string& key, const std::string& after = {}) {
    const auto from = after.empty() ? 0 : text.find(after);
    const auto at = text.find("\n" + key + ":", from);
    if (at == std::string::npos) return "(no line " + key + ")";
    return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

}  // namespace

TEST_CASE("every global setting can come from the environment", "[cli][config][env]") {
    temp_dir dir;
    const auto settings = global_settings(dir);
    REQUIRE(settings.size() >= 14);  // the reference must have been read
    std::vector<std::pair<std::string, std::string>> env;
    for (const auto& [name, fallback] : settings) {
        // server-port and listeners exclude each other; listeners is tested below.
        if (name == "listeners" || name == "server-port") continue;
        std::string value = fallback == "\"\"" ? "" : fallback;
        if (name == "shutdown-timeout") value = "3s";
        if (name == "log-level") value = "warn";
        if (name == "data-dir") value = dir / "data-from-env";
        if (name == "statsd") value = "{prefix: from-env}";  // a mapping; no host: off
        env.emplace_back(env_name(name), value);
    }
    const auto r = run_araldo(dir, {"--print-config", "-c", dir.write("a.yaml", every_plugin)}, env);
    INFO(r.err);
    REQUIRE(r.code == 0);
    for (const auto& [variable, value] : env) {
        INFO(variable);
        std::string setting = variable.substr(7);
        for (auto& c : setting) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        CHECK_THAT(line_of(r.out, "  " + setting), Catch::EndsWith("# environment " + variable));
    }
    CHECK_THAT(line_of(r.out, "  shutdown-timeout"), Catch::StartsWith("  shutdown-timeout: 3s"));
    CHECK_THAT(line_of(r.out, "  log-level"), Catch::StartsWith("  log-level: warn"));

    const auto l = run_araldo(dir, {"--print-config", "-c", dir.write("l.yaml", "routes: {}\n")},
                              {{"ARALDO_LISTENERS", "[{name: inner, port: 0}]"}});
    CHECK(l.code == 0);
    CHECK_THAT(l.out, Catch::Contains("  listeners:  # environment ARALDO_LISTENERS\n    - name: inner"));
}

TEST_CASE("one option of each plugin from the environment", "[cli][config][env]") {
    temp_dir dir;
    const std::vector<std::pair<std::string, std::string>> env{
        {"ARALDO_JSON__MAX_DEPTH", "7"},         {"ARALDO_SOURCE__RECORD_LIMIT", "11"},
        {"ARALDO_OUT__QUEUE_SIZE", "12"},        {"ARALDO_EMIT__MAX_BODY_SIZE", "13KiB"},
        {"ARALDO_CACHE__QUEUE_SIZE", "14"},      {"ARALDO_HOOKS__TIMEOUT", "15s"},
        {"ARALDO_CHAT_ROOM__MAX_CLIENTS", "16"}, {"ARALDO_CHAT_ROOM__ALLOWED_ORIGINS", R"(["https://a.example"])"},
        {"ARALDO_DEVICES__KEEPALIVE", "17s"},    {"ARALDO_HUB__PEER_NAME", "web"},
        {"ARALDO_SERVICE__MAX_CONNECTIONS", "18"},
    };
    const auto r = run_araldo(dir, {"--print-config", "-c", dir.write("a.yaml", every_plugin)}, env);
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("max-depth: 7  # environment ARALDO_JSON__MAX_DEPTH"));
    CHECK_THAT(r.out, Catch::Contains("record-limit: 11  # environment ARALDO_SOURCE__RECORD_LIMIT"));
    CHECK_THAT(r.out, Catch::Contains("queue-size: 12  # environment ARALDO_OUT__QUEUE_SIZE"));
    CHECK_THAT(r.out, Catch::Contains("max-body-size: 13312  # environment ARALDO_EMIT__MAX_BODY_SIZE"));
    CHECK_THAT(r.out, Catch::Contains("queue-size: 14  # environment ARALDO_CACHE__QUEUE_SIZE"));
    CHECK_THAT(r.out, Catch::Contains("timeout: 15s  # environment ARALDO_HOOKS__TIMEOUT"));
    CHECK_THAT(r.out, Catch::Contains("max-clients: 16  # environment ARALDO_CHAT_ROOM__MAX_CLIENTS"));
    CHECK_THAT(r.out, Catch::Contains(
                          "allowed-origins: [https://a.example]  # environment ARALDO_CHAT_ROOM__ALLOWED_ORIGINS"));
    CHECK_THAT(r.out, Catch::Contains("keepalive: 17s  # environment ARALDO_DEVICES__KEEPALIVE"));
    CHECK_THAT(r.out, Catch::Contains("peer-name: web  # environment ARALDO_HUB__PEER_NAME"));
    CHECK_THAT(r.out, Catch::Contains("max-connections: 18  # environment ARALDO_SERVICE__MAX_CONNECTIONS"));
}

TEST_CASE("a value from the environment takes effect in the running relay", "[cli][config][env]") {
    temp_dir dir;
    const std::string config = R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: source, id: endpoint-mock}
    - {name: out, id: endpoint-file, output: out.txt}
routes:
  source: [out]
)";
    child_process relay({{ARALDO_BINARY},
                         {{"ARALDO_CONFIG", dir.write("a.yaml", config)},
                          {"ARALDO_SOURCE__INJECT", R"(["from the environment", "second"])"}},
                         dir.path(),
                         false,
                         dir.path()});
    REQUIRE(wait_until([&] { return read_file(dir / "out.txt").find("second\n") != std::string::npos; }));
    CHECK(read_file(dir / "out.txt") == "from the environment\nsecond\n");
    relay.signal(SIGTERM);
    CHECK(relay.wait(std::chrono::seconds(10)) == 0);
}

TEST_CASE("a bad value or an unknown name in the environment stops start-up naming the variable",
          "[cli][config][env]") {
    temp_dir dir;
    const std::string file = dir.write("a.yaml", every_plugin);
    auto bad = run_araldo(dir, {"--check", "-c", file}, {{"ARALDO_CHAT_ROOM__MAX_CLIENTS", "many"}});
    CHECK(bad.code == 2);
    CHECK_THAT(bad.err, Catch::StartsWith("araldo: environment ARALDO_CHAT_ROOM__MAX_CLIENTS: max-clients: expected "
                                          "integer, got \"many\""));
    auto range = run_araldo(dir, {"--check", "-c", file}, {{"ARALDO_HOOKS__MAX_IN_FLIGHT", "0"}});
    CHECK(range.code == 2);
    CHECK_THAT(range.err, Catch::Contains("environment ARALDO_HOOKS__MAX_IN_FLIGHT: max-in-flight: must be between"));
    auto endpoint = run_araldo(dir, {"--check", "-c", file}, {{"ARALDO_CHAT_ROM__MAX_CLIENTS", "5"}});
    CHECK(endpoint.code == 2);
    CHECK_THAT(endpoint.err, Catch::Contains("did you mean ARALDO_CHAT_ROOM__MAX_CLIENTS?"));
    auto option = run_araldo(dir, {"--check", "-c", file}, {{"ARALDO_HOOKS__TIMOUT", "5s"}});
    CHECK(option.code == 2);
    CHECK_THAT(option.err, Catch::Contains("did you mean ARALDO_HOOKS__TIMEOUT?"));
    auto typo = run_araldo(dir, {"--check", "-c", file}, {{"ARALDO_LOG_LEVL", "debug"}});
    CHECK(typo.code == 2);
    CHECK_THAT(typo.err, Catch::Contains("did you mean ARALDO_LOG_LEVEL?"));
    // Not near anything: another tool's variable, said once and let through.
    auto other = run_araldo(dir, {"--check", "-c", file}, {{"ARALDO_ROCKET_FUEL", "1"}});
    CHECK(other.code == 0);
    CHECK_THAT(other.err, Catch::Contains("warning: ARALDO_ROCKET_FUEL is set but matches no setting"));
}

TEST_CASE("ARALDO_CONFIG names the file; -c wins over it", "[cli][config][env]") {
    temp_dir dir;
    const std::string a = dir.write("a.yaml", every_plugin);
    auto by_env = run_araldo(dir, {"--check"}, {{"ARALDO_CONFIG", a}});
    CHECK(by_env.code == 0);
    CHECK_THAT(by_env.out, Catch::StartsWith(a + ": ok"));
    auto flag = run_araldo(dir, {"--check", "-c", a}, {{"ARALDO_CONFIG", dir / "missing.yaml"}});
    CHECK(flag.code == 0);
}

TEST_CASE("print-config names each value's source and masks secrets", "[cli][config][env]") {
    temp_dir dir;
    const auto r = run_araldo(dir, {"--print-config", "-c", dir.write("a.yaml", every_plugin)},
                              {{"ARALDO_CHAT_ROOM__AUTH__JWT_SECRET", "env-jwt-secret"}});
    INFO(r.err);
    REQUIRE(r.code == 0);
    for (const char* secret : {"file-token", "file-bearer", "hunter2", "whsec_MfKQ", "file-ws-token", "env-jwt-secret"})
        CHECK_THAT(r.out, !Catch::Contains(secret));
    CHECK_THAT(r.out, Catch::Contains("  admin-token: '***'  # " + dir / "a.yaml:3"));
    CHECK_THAT(r.out, Catch::Contains("  server-port: 0  # " + dir / "a.yaml:2"));
    CHECK_THAT(r.out, Catch::Contains("  shutdown-timeout: 5s  # default"));
    CHECK_THAT(r.out, Catch::Contains("url: redis://user:***@127.0.0.1:6379"));
    CHECK_THAT(r.out, Catch::Contains("headers: {Authorization: '***'}"));
    CHECK_THAT(r.out, Catch::Contains("jwt-secret: '***'  # environment ARALDO_CHAT_ROOM__AUTH__JWT_SECRET"));
    CHECK_THAT(r.out, Catch::Contains("tokens: ['***']"));
}

TEST_CASE("print-config prints a configuration araldo reads back the same", "[cli][config]") {
    temp_dir dir;
    const std::string config = R"(global:
  server-port: 0
  log-levels: {emit: warn}
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: source, id: endpoint-mock, marshalling: json, inject: ['{"a": 1}', "it's"]}
    - {name: out, id: endpoint-file, output: out.txt}
routes:
  source: [out, {to: out, type: "x-*"}]
)";
    // Listeners replace server-port and bind, and a plain one has no tls: at all.
    const std::string with_listeners =
        "global:\n  listeners: [{name: a, port: 0}, {name: b, port: 0}]\n" + config.substr(config.find("plugins:"));
    const std::string text = GENERATE_COPY(config, with_listeners);
    const auto first = run_araldo(dir, {"--print-config", "-c", dir.write("a.yaml", text)});
    REQUIRE(first.code == 0);
    const auto second = run_araldo(dir, {"--print-config", "-c", dir.write("printed.yaml", first.out)});
    INFO(first.out);
    INFO(second.err);
    REQUIRE(second.code == 0);
    // The same values; only the sources differ (lines of the printed file, no defaults left).
    auto values = [](const std::string& text) {
        std::string out;
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) {
            if (line.starts_with("#")) continue;
            out += line.substr(0, line.find("  # ")) + "\n";
        }
        return out;
    };
    CHECK(values(second.out) == values(first.out));
}
