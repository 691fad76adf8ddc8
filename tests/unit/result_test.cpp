// araldo::result: a value or a reason, nothing else.
#include <araldo/result.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>

using araldo::result;

namespace {

result<int> parse_digit(char c) {
    if (c < '0' || c > '9') return result<int>::fail(std::string("not a digit: ") + c);
    return result<int>::ok(c - '0');
}

}  // namespace

TEST_CASE("result<T>: ok carries the value, fail the reason", "[sdk][result]") {
    auto good = parse_digit('7');
    REQUIRE(good);
    CHECK(good.value() == 7);
    CHECK(good.reason().empty());
    auto bad = parse_digit('x');
    CHECK_FALSE(bad);
    CHECK(bad.reason() == "not a digit: x");
    CHECK_THROWS_AS(bad.value(), std::bad_optional_access);
}

TEST_CASE("result<T>: a failure always has a reason; move-only values move out", "[sdk][result]") {
    CHECK(result<int>::fail("").reason() == "failed");
    CHECK(result<>::fail("").reason() == "failed");
    auto r = result<std::unique_ptr<int>>::ok(std::make_unique<int>(3));
    std::unique_ptr<int> p = std::move(r).value();
    CHECK(*p == 3);
    // A string value is not mistaken for a reason.
    auto s = result<std::string>::ok("");
    CHECK(s);
    CHECK(s.value().empty());
}

TEST_CASE("result<>: ok or why not", "[sdk][result]") {
    CHECK(result<>::ok());
    CHECK(result<>::ok().reason().empty());
    auto f = result<>::fail("connection refused");
    CHECK_FALSE(f);
    CHECK(f.reason() == "connection refused");
}
