#include "cli.hpp"

#include <catch2/catch.hpp>

using araldo::detail::parse_cli;

namespace {
araldo::detail::cli_parse parse(std::vector<const char*> args) {
    args.insert(args.begin(), "araldo");
    return parse_cli(static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST_CASE("command line options", "[cli]") {
    auto p = parse({"-c", "x.yaml", "--plugin-dir", "/a", "--plugin-dir=/b", "--check", "--log-level", "debug"});
    REQUIRE(p.error.empty());
    CHECK(p.options.config == "x.yaml");
    CHECK(p.options.config_given);
    CHECK(p.options.plugin_dirs == std::vector<std::string>{"/a", "/b"});
    CHECK(p.options.check);
    CHECK(p.options.log_level == "debug");

    auto d = parse({});
    CHECK(d.error.empty());
    CHECK(d.options.config == "araldo.yaml");
    CHECK_FALSE(d.options.config_given);

    CHECK(parse({"--list-plugins"}).options.list_plugins);
    CHECK(parse({"--version"}).options.version);
    CHECK(parse({"-h"}).options.help);
    CHECK(parse({"--frobnicate"}).error == "unknown argument '--frobnicate'");
    CHECK(parse({"-c"}).error == "-c needs a value");
    CHECK(parse({"--check=yes"}).error == "--check takes no value");
}

TEST_CASE("help after a command goes to the command", "[cli]") {
    auto p = parse({"deadletters", "--help", "-c", "x.yaml"});
    REQUIRE(p.error.empty());
    CHECK_FALSE(p.options.help);
    CHECK(p.options.command == "deadletters");
    CHECK(p.options.command_args == std::vector<std::string>{"--help"});
    CHECK(p.options.config == "x.yaml");
    CHECK(parse({"deadletters", "list", "-h"}).options.command_args == std::vector<std::string>{"list", "-h"});
    CHECK(parse({"--help", "deadletters"}).options.help);
}

TEST_CASE("the global help lists the plugins' commands, one line per form", "[cli]") {
    const auto text = araldo::detail::usage_text({"araldo x list -c FILE\naraldo x purge", "araldo y"});
    CHECK_THAT(text, Catch::Contains("plugin commands:\n  araldo x list -c FILE\n  araldo x purge\n  araldo y\n"));
    CHECK_THAT(araldo::detail::usage_text(), Catch::Contains("plugin commands:\n  (none"));
}
