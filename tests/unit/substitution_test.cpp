#include "config/substitution.hpp"

#include <catch2/catch.hpp>

#include <map>

using araldo::detail::substitute;

namespace {
araldo::detail::env_lookup env_of(std::map<std::string, std::string> vars) {
    return [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}
const araldo::source_mark here{"a.yaml", 3, 7};
}  // namespace

TEST_CASE("${VAR} and ${VAR:-default} are replaced", "[config][env]") {
    auto env = env_of({{"TOKEN", "s3cret"}, {"EMPTY", ""}});
    CHECK(substitute("plain", here, env) == "plain");
    CHECK(substitute("${TOKEN}", here, env) == "s3cret");
    CHECK(substitute("Bearer ${TOKEN}!", here, env) == "Bearer s3cret!");
    CHECK(substitute("${MISSING:-fallback}", here, env) == "fallback");
    CHECK(substitute("${MISSING:-}", here, env) == "");
    CHECK(substitute("${EMPTY:-fallback}", here, env) == "fallback");
    CHECK(substitute("${EMPTY}", here, env) == "");
    CHECK(substitute("$$TOKEN costs $5", here, env) == "$TOKEN costs $5");
    CHECK(substitute("${TOKEN}${TOKEN}", here, env) == "s3crets3cret");
}

TEST_CASE("an unset variable without default names the place", "[config][env]") {
    auto env = env_of({});
    try {
        substitute("x ${NOPE} y", here, env);
        FAIL("expected an error");
    } catch (const araldo::config_error& e) {
        CHECK(std::string(e.what()).starts_with("a.yaml:3:7: environment variable NOPE is not set"));
        CHECK(e.hint().find("${NOPE:-value}") != std::string::npos);
    }
    CHECK_THROWS_AS(substitute("${UNTERMINATED", here, env), araldo::config_error);
    CHECK_THROWS_AS(substitute("${1BAD}", here, env), araldo::config_error);
    CHECK_THROWS_AS(substitute("${}", here, env), araldo::config_error);
}
