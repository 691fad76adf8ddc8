// The binary's start-up contract: --check, config errors with positions and
// exit code 2, plugin refusals, and the informational flags.
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

using namespace araldo::test;

namespace {

run_result run_araldo(const temp_dir& dir, std::vector<std::string> args) {
    args.insert(args.begin(), ARALDO_BINARY);
    return run_command(args, dir.path());
}

const char* good = R"(global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: a, id: endpoint-mock, marshalling: json}
    - {name: b, id: endpoint-mock}
routes:
  a: [b, {to: a, type: "chat-*"}]
)";

}  // namespace

TEST_CASE("check mode validates a good config and prints a summary", "[cli][config]") {
    temp_dir dir;
    auto r = run_araldo(dir, {"--check", "-c", dir.write("good.yaml", good)});
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("good.yaml: ok"));
    CHECK_THAT(r.out, Catch::Contains("a (endpoint-mock, marshalling marshal-json)"));
    CHECK_THAT(r.out, Catch::Contains("a -> b a[type=chat-*]"));
    CHECK_THAT(r.err, !Catch::Contains("listening"));
}

TEST_CASE("config errors exit 2 with file:line:col and a hint", "[cli][config]") {
    temp_dir dir;
    struct bad_case {
        std::string yaml;
        std::string expected;
    };
    std::vector<bad_case> cases{
        {"global:\n  server-prot: 1\n",
         "bad.yaml:2:3: unknown key 'server-prot' in global\n  hint: did you mean 'server-port'?"},
        {"plugins:\n  araldo.endpoints.endpoint:\n    - {name: a, id: endpoint-mokc}\n",
         "bad.yaml:3:21: unknown endpoint id 'endpoint-mokc'\n  hint: did you mean 'endpoint-mock'? (found: "},
        {"plugins:\n  araldo.endpoints.endpoint:\n    - {name: a, id: endpoint-mock, chanel: x}\n",
         "bad.yaml:3:36: unknown key 'chanel' in endpoint 'a' (endpoint-mock)\n  hint: did you mean 'channel'?"},
        {"plugins:\n  araldo.endpoints.endpoint:\n    - {name: a, id: endpoint-file}\n",
         "endpoint-file needs input, output or both"},
        {"plugins:\n  araldo.endpoints.endpoint:\n    - {name: a, id: endpoint-mock}\nroutes:\n  a: [b]\n",
         "bad.yaml:5:7: route target 'b' is not a defined endpoint"},
        {"global:\n  shutdown-timeout: ${ARALDO_TEST_UNSET_VARIABLE}\n",
         "bad.yaml:2:21: environment variable ARALDO_TEST_UNSET_VARIABLE is not set"},
        {"global: [\n", "bad.yaml:2:1: invalid YAML"},
    };
    for (const auto& c : cases) {
        INFO(c.yaml);
        auto r = run_araldo(dir, {"--check", "-c", dir.write("bad.yaml", c.yaml)});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains(c.expected));
        CHECK(r.out.empty());
    }
}

TEST_CASE("a missing config file is a usage error", "[cli][config]") {
    temp_dir dir;
    auto r = run_araldo(dir, {"-c", dir / "nope.yaml"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("nope.yaml: cannot read config"));
}

TEST_CASE("plugins that must be refused stop start-up with exit 2", "[cli][plugin]") {
    temp_dir dir;
    std::string config = dir.write("c.yaml", good);
    std::string fixtures = ARALDO_FIXTURE_DIR;
    auto bad_abi = run_araldo(dir, {"--check", "-c", config, "--plugin-dir", fixtures + "/bad-abi"});
    CHECK(bad_abi.code == 2);
    CHECK_THAT(bad_abi.err,
               Catch::Contains("araldo-bad-abi.so: plugin ABI mismatch: araldo SDK ABI 999 in the plugin"));

    // The relay's own symbols are not there for a plugin: only libaraldo-sdk's.
    auto core_symbol = run_araldo(dir, {"--check", "-c", config, "--plugin-dir", fixtures + "/core-symbol"});
    CHECK(core_symbol.code == 2);
    CHECK_THAT(core_symbol.err, Catch::Contains("araldo-core-symbol.so: cannot load plugin"));
    CHECK_THAT(core_symbol.err, Catch::Contains("uses araldo::detail::abi_mismatch("));

    auto not_plugin = run_araldo(dir, {"--check", "-c", config, "--plugin-dir", fixtures + "/not-a-plugin"});
    CHECK(not_plugin.code == 2);
    CHECK_THAT(not_plugin.err, Catch::Contains("not an araldo plugin"));

    auto dup = run_araldo(dir, {"--check", "-c", config, "--plugin-dir", fixtures + "/duplicate"});
    CHECK(dup.code == 2);
    CHECK_THAT(dup.err, Catch::Contains("duplicate plugin id 'fixture-dup'"));

    auto null_descriptor = run_araldo(dir, {"--check", "-c", config, "--plugin-dir", fixtures + "/null-descriptor"});
    CHECK(null_descriptor.code == 2);
    CHECK_THAT(null_descriptor.err, Catch::Contains("plugin failed to describe itself"));

    temp_dir garbage_dir;
    garbage_dir.write("araldo-garbage.so", "this is not an ELF file");
    auto garbage = run_araldo(dir, {"--check", "-c", config, "--plugin-dir", garbage_dir.path()});
    CHECK(garbage.code == 2);
    CHECK_THAT(garbage.err, Catch::Contains("araldo-garbage.so: cannot load plugin"));

    auto missing_dir = run_araldo(dir, {"--check", "-c", config, "--plugin-dir", dir / "no-such-dir"});
    CHECK(missing_dir.code == 2);
    CHECK_THAT(missing_dir.err, Catch::Contains("plugin folder does not exist"));

    std::string throwing =
        dir.write("t.yaml", "plugins:\n  araldo.endpoints.endpoint:\n    - {name: t, id: endpoint-throwing}\n");
    auto thrown = run_araldo(dir, {"--check", "-c", throwing, "--plugin-dir", fixtures + "/throwing-factory"});
    CHECK(thrown.code == 2);
    CHECK_THAT(
        thrown.err,
        Catch::Contains("t.yaml:3:7: endpoint 't' (endpoint-throwing) failed to start: refusing to start on purpose"));
}

TEST_CASE("the informational flags and bad arguments", "[cli]") {
    temp_dir dir;
    auto list = run_araldo(dir, {"--list-plugins"});
    CHECK(list.code == 0);
    for (const char* id : {"marshal-json", "marshal-raw", "endpoint-mock", "endpoint-file"}) {
        CHECK_THAT(list.out, Catch::Contains(id));
    }
    CHECK_THAT(list.out, Catch::Contains("araldo-endpoint-file.so"));
    auto listed_with_config = run_araldo(dir, {"--list-plugins", "-c", dir.write("c.yaml", good)});
    CHECK(listed_with_config.code == 0);
    CHECK(listed_with_config.out == list.out);

    auto version = run_araldo(dir, {"--version"});
    CHECK(version.code == 0);
    CHECK_THAT(version.out, Catch::StartsWith("araldo "));
    auto help = run_araldo(dir, {"--help"});
    CHECK(help.code == 0);
    CHECK_THAT(help.out, Catch::Contains("--check"));
    auto bad = run_araldo(dir, {"--bogus"});
    CHECK(bad.code == 2);
    CHECK_THAT(bad.err, Catch::Contains("unknown argument '--bogus'"));
    auto level = run_araldo(dir, {"--log-level", "loud", "--check", "-c", dir / "c.yaml"});
    CHECK(level.code == 2);
}

TEST_CASE("the default araldo.yaml validates", "[cli][config]") {
    temp_dir dir;
    auto r = run_araldo(dir, {"--check", "-c", std::string(ARALDO_SOURCE_DIR) + "/araldo.yaml"});
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("araldo.yaml: ok"));
}

TEST_CASE("docs/configuration.md carries the current option reference", "[cli][docs]") {
    temp_dir dir;
    auto r = run_araldo(dir, {"--print-options"});
    REQUIRE(r.code == 0);
    std::string doc = read_file(std::string(ARALDO_SOURCE_DIR) + "/docs/configuration.md");
    std::string begin = "<!-- BEGIN GENERATED OPTIONS -->\n", end = "<!-- END GENERATED OPTIONS -->";
    auto from = doc.find(begin), to = doc.find(end);
    REQUIRE(from != std::string::npos);
    REQUIRE(to != std::string::npos);
    INFO("run scripts/gen-docs to regenerate the reference");
    auto trimmed = [](std::string s) {
        while (!s.empty() && s.back() == '\n') s.pop_back();
        return s;
    };
    CHECK(trimmed(doc.substr(from + begin.size(), to - from - begin.size())) == trimmed(r.out));
}

namespace {

// The table of each plugin id in the reference: its section's table lines,
// or "No options.". What scripts/gen-docs puts in the plugin's README.
std::map<std::string, std::string> tables_by_plugin(const std::string& reference) {
    std::map<std::string, std::string> out;
    std::istringstream in(reference);
    std::string line, id;
    while (std::getline(in, line)) {
        if (line.starts_with("### ")) {
            const bool plugin = line.ends_with(" (endpoint)") || line.ends_with(" (marshaller)");
            id = plugin ? line.substr(4, line.find(" (") - 4) : std::string{};
            if (!id.empty()) out[id];
        } else if (!id.empty() && (line.starts_with("|") || line == "No options.")) {
            out[id] += line + "\n";
        }
    }
    return out;
}

}  // namespace

TEST_CASE("every plugin README carries its option table as generated", "[cli][docs]") {
    temp_dir dir;
    auto r = run_araldo(dir, {"--print-options"});
    REQUIRE(r.code == 0);
    auto tables = tables_by_plugin(r.out);
    REQUIRE(tables.count("marshal-raw") == 1);
    CHECK(tables["marshal-raw"] == "No options.\n");
    std::set<std::string> documented;
    const std::string begin = "<!-- options:begin ", end = "<!-- options:end -->";
    for (const auto& entry : std::filesystem::directory_iterator(std::string(ARALDO_SOURCE_DIR) + "/plugins")) {
        const std::string path = (entry.path() / "README.md").string();
        if (!std::filesystem::exists(path)) continue;
        const std::string text = read_file(path);
        for (auto at = text.find(begin); at != std::string::npos; at = text.find(begin, at + 1)) {
            const auto id_end = text.find(" -->\n", at);
            REQUIRE(id_end != std::string::npos);
            const std::string id = text.substr(at + begin.size(), id_end - at - begin.size());
            const auto from = id_end + 5, to = text.find(end, from);
            REQUIRE(to != std::string::npos);
            INFO(path << ": the options of " << id << "; run scripts/gen-docs to regenerate them");
            REQUIRE(tables.count(id) == 1);  // not built, or a misspelt id
            CHECK(text.substr(from, to - from) == tables[id]);
            documented.insert(id);
        }
    }
    for (const auto& [id, table] : tables) {
        INFO("no plugins/*/README.md has an options block for " << id);
        CHECK(documented.count(id) == 1);
    }
}

namespace {

// Runs araldo in `work_dir` (not the config's folder) to completion.
run_result run_in(const std::string& work_dir, std::vector<std::string> args, const temp_dir& out) {
    args.insert(args.begin(), ARALDO_BINARY);
    child_process p{{args, {}, work_dir, false, out.path()}};
    run_result r;
    r.code = p.wait(std::chrono::seconds(60)).value_or(-1);
    r.out = p.out();
    r.err = p.err();
    return r;
}

const char* one_endpoint = R"(plugins:
  araldo.endpoints.endpoint:
    - {name: a, id: endpoint-mock}
routes:
  a: [a]
)";

}  // namespace

TEST_CASE("a value outside its option's one_of or range stops --check at the value, with a hint", "[cli][config]") {
    temp_dir dir;
    struct bad_case {
        std::string yaml;
        std::string expected;
    };
    const std::string routes = "routes:\n  a: [a]\n";
    std::vector<bad_case> cases{
        {"plugins:\n  araldo.endpoints.endpoint:\n    - {name: a, id: endpoint-websocket, slow-consumer: "
         "drop-newest}\n" +
             routes,
         "bad.yaml:3:56: slow-consumer: must be one of: disconnect, drop-oldest; got 'drop-newest'\n"
         "  hint: did you mean 'drop-oldest'?"},
        {"plugins:\n  araldo.endpoints.endpoint:\n    - {name: a, id: endpoint-file, output: out.txt, max-line: 0B}\n" +
             routes,
         "bad.yaml:3:63: max-line: must be at least 1, got 0B"},
        {"plugins:\n  araldo.endpoints.endpoint:\n    - {name: a, id: endpoint-webhook, url: \"http://127.0.0.1:1/\", "
         "max-response-body: 17MiB}\n" +
             routes,
         "bad.yaml:3:86: max-response-body: must be at most 16MiB, got 17MiB"},
        {"plugins:\n  araldo.marshalling:\n    - {name: j, id: marshal-json, max-depth: 10001}\n",
         "bad.yaml:3:46: max-depth: must be between 1 and 10000, got 10001"},
        {"global:\n  log-level: verbose\n" + std::string(one_endpoint),
         "bad.yaml:2:14: log-level: must be one of: trace, debug, info, warn, warning, error, critical, fatal, off; "
         "got 'verbose'"},
    };
    for (const auto& c : cases) {
        INFO(c.yaml);
        auto r = run_araldo(dir, {"--check", "-c", dir.write("bad.yaml", c.yaml)});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains(c.expected));
        CHECK(r.out.empty());
    }
    CHECK_FALSE(std::filesystem::exists(dir / "out.txt"));
}

TEST_CASE("a plugin folder's symlink to a file outside it is refused by --list-plugins and --check", "[cli][plugin]") {
    namespace fs = std::filesystem;
    temp_dir dir, plugins;
    const std::string outside = std::string(ARALDO_FIXTURE_DIR) + "/throwing-factory/araldo-throwing-factory.so";
    REQUIRE(fs::exists(outside));
    fs::create_symlink(outside, plugins / "araldo-innocent.so");
    for (std::vector<std::string> args :
         {std::vector<std::string>{"--list-plugins"},
          std::vector<std::string>{"--check", "-c", dir.write("c.yaml", one_endpoint)}}) {
        args.push_back("--plugin-dir");
        args.push_back(plugins.path());
        auto r = run_araldo(dir, args);
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains(plugins / "araldo-innocent.so"));
        CHECK_THAT(r.err, Catch::Contains("leads outside its folder"));
        CHECK_THAT(r.err, Catch::Contains(fs::canonical(outside).string()));
        CHECK(r.out.empty());
    }
}

TEST_CASE("check mode refuses what start would refuse, short of binding", "[cli][config]") {
    temp_dir dir;
    dir.write("a-file", "not a folder");
    struct bad_case {
        std::string global;
        std::string expected;
    };
    std::vector<bad_case> cases{
        {"  bind: localhost\n", "bad.yaml:2:9: bind: 'localhost' is not an IP address"},
        {"  static-dir: no-such-web\n",
         "bad.yaml:2:15: static-dir: folder " + (dir / "no-such-web") + " does not exist"},
        {"  data-dir: a-file/data\n",
         "bad.yaml:2:13: data-dir " + (dir / "a-file/data") + ": " + (dir / "a-file") + " is not a folder"},
        {"  data-dir: a-file\n",
         "bad.yaml:2:13: data-dir " + (dir / "a-file") + ": " + (dir / "a-file") + " is not a folder"},
    };
    for (const auto& c : cases) {
        INFO(c.global);
        auto r = run_araldo(dir, {"--check", "-c", dir.write("bad.yaml", "global:\n" + c.global + one_endpoint)});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains(c.expected));
        CHECK(r.out.empty());
    }
    // A data-dir that does not exist yet is fine: start creates it. --check does not.
    auto fresh = run_araldo(
        dir, {"--check", "-c", dir.write("ok.yaml", "global:\n  data-dir: new/state\n" + std::string(one_endpoint))});
    CHECK(fresh.code == 0);
    CHECK_FALSE(std::filesystem::exists(dir / "new"));
}

TEST_CASE("check mode warns about an endpoint no route leaves, and still exits 0", "[cli][config]") {
    temp_dir dir;
    auto r = run_araldo(dir, {"--check", "-c", dir.write("good.yaml", good)});
    CHECK(r.code == 0);
    CHECK_THAT(r.err, Catch::Contains("araldo: warning: " + (dir / "good.yaml") + ":8:7: no route from endpoint 'b'"));
    CHECK_THAT(r.err, !Catch::Contains("endpoint 'a'"));
    CHECK_THAT(r.out, Catch::Contains("good.yaml: ok"));
}

TEST_CASE("relative paths start at the config file's folder, wherever araldo runs", "[cli][config][paths]") {
    temp_dir dir, elsewhere;
    std::filesystem::create_directories(dir / "sub/web");
    dir.write("sub/web/index.html", "hi");
    const std::string config =
        dir.write("sub/araldo.yaml", "global:\n  static-dir: web\n  data-dir: state\n" + std::string(one_endpoint));
    auto check = run_in(elsewhere.path(), {"--check", "-c", config}, elsewhere);
    CHECK(check.code == 0);
    CHECK_THAT(check.err, !Catch::Contains("does not exist"));

    // A command sees the same data-dir as the relay: sub/state, not ./state.
    const std::string letter =
        R"({"id":"dl-1","endpoint":"hook","source":"a","payload":"p","last_error":"boom","attempts":3})";
    std::filesystem::create_directories(dir / "sub/state/webhook/hook/deadletters");
    dir.write("sub/state/webhook/hook/deadletters/dl-1.json", letter);
    REQUIRE(std::filesystem::exists(std::string(ARALDO_PLUGIN_DIR) + "/araldo-endpoint-webhook.so"));
    auto list = run_in(dir.path(), {"deadletters", "list", "-c", "sub/araldo.yaml"}, elsewhere);
    CHECK(list.code == 0);
    CHECK_THAT(list.out, Catch::Contains("dl-1") && Catch::Contains("1 dead letters"));
}

TEST_CASE("the help lists the plugin commands, and help after a command reaches the command", "[cli]") {
    temp_dir dir;
    REQUIRE(std::filesystem::exists(std::string(ARALDO_PLUGIN_DIR) + "/araldo-endpoint-webhook.so"));
    auto help = run_araldo(dir, {"--help"});
    CHECK(help.code == 0);
    // The core's own commands first, then the plugins'.
    CHECK_THAT(help.out, Catch::Contains("commands:\n  araldo init ") &&
                             Catch::Contains("unless --force\n  araldo keys list --file FILE\n") &&
                             Catch::Contains("ID-or-IDENTITY\n  araldo reload [-c FILE]\nplugin commands:\n  araldo deadletters list"));
    // No araldo.yaml here: a command's help needs none.
    auto command_help = run_araldo(dir, {"deadletters", "--help"});
    CHECK_THAT(command_help.out + command_help.err, Catch::Contains("araldo deadletters list [--endpoint NAME]"));
    CHECK_THAT(command_help.out, !Catch::Contains("--print-options"));
    CHECK_THAT(command_help.err, !Catch::Contains("cannot read config"));
}

TEST_CASE("the version printed is the project version", "[cli]") {
    temp_dir dir;
    auto version = run_araldo(dir, {"--version"});
    CHECK(version.code == 0);
    // The version is the one project() declares in the top CMakeLists.txt.
    const std::string cmake = read_file(std::string(ARALDO_SOURCE_DIR) + "/CMakeLists.txt");
    const auto at = cmake.find("project(araldo VERSION ");
    REQUIRE(at != std::string::npos);
    const auto from = at + std::string("project(araldo VERSION ").size();
    const std::string expected = cmake.substr(from, cmake.find_first_of(" )", from) - from);
    // Then the malloc the build chose (ARALDO_ALLOCATOR), with its version.
    CHECK_THAT(version.out, Catch::StartsWith("araldo " + expected + " (malloc: " ARALDO_EXPECTED_MALLOC " "));
    CHECK_THAT(version.out, Catch::EndsWith(")\n"));
}

TEST_CASE("log levels warning and fatal are accepted in the file, on the command line and in the environment",
          "[cli]") {
    temp_dir dir;
    auto file = run_araldo(
        dir, {"--check", "-c", dir.write("w.yaml", "global:\n  log-level: warning\n" + std::string(one_endpoint))});
    CHECK(file.code == 0);
    auto flag = run_araldo(dir, {"--check", "--log-level", "fatal", "-c", dir.write("c.yaml", one_endpoint)});
    CHECK(flag.code == 0);
    auto env =
        run_command({ARALDO_BINARY, "--check", "-c", dir / "c.yaml"}, dir.path(), {{"ARALDO_LOG_LEVEL", "fatal"}});
    CHECK(env.code == 0);
    auto bad_env =
        run_command({ARALDO_BINARY, "--check", "-c", dir / "c.yaml"}, dir.path(), {{"ARALDO_SERVER_PORT", "99999"}});
    CHECK(bad_env.code == 2);
    CHECK_THAT(bad_env.err,
               Catch::Contains("araldo: environment ARALDO_SERVER_PORT: server-port: must be between 0 and 65535"));
}

TEST_CASE("hostile files: deep nesting and an alias bomb are refused with a position, at once",
          "[cli][config][fault]") {
    temp_dir dir;
    auto deep =
        run_araldo(dir, {"--check", "-c", dir.write("deep.yaml", "global:\n  bind: " + std::string(200000, '['))});
    CHECK(deep.code == 2);
    CHECK_THAT(deep.err, Catch::Contains("deep.yaml:2:73: nesting deeper than 64 levels"));  // the 65th '['

    CHECK_THAT(deep.err, !Catch::Contains("bad file"));

    std::string bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (char c = 'b'; c <= 'z'; ++c) {
        bomb += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + static_cast<char>(c - 1);
        bomb += "]\n";
    }
    auto bombed = run_araldo(dir, {"--check", "-c", dir.write("bomb.yaml", bomb)});
    CHECK(bombed.code == 2);
    CHECK_THAT(bombed.err, Catch::Contains("bomb.yaml:") && Catch::Contains("document too large"));
}
