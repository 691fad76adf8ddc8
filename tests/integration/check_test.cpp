// The binary's start-up contract: --check, config errors with positions and
// exit code 2, plugin refusals, and the informational flags.
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

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
        {"global:\n  server-prot: 1\n", "bad.yaml:2:3: unknown key 'server-prot' in global\n  hint: did you mean 'server-port'?"},
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
    CHECK_THAT(bad_abi.err, Catch::Contains("araldo-bad-abi.so: plugin ABI mismatch: got araldo-abi 999"));

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

    std::string throwing = dir.write("t.yaml", "plugins:\n  araldo.endpoints.endpoint:\n    - {name: t, id: endpoint-throwing}\n");
    auto thrown = run_araldo(dir, {"--check", "-c", throwing, "--plugin-dir", fixtures + "/throwing-factory"});
    CHECK(thrown.code == 2);
    CHECK_THAT(thrown.err, Catch::Contains("t.yaml:3:7: endpoint 't' (endpoint-throwing) failed to start: refusing to start on purpose"));
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
