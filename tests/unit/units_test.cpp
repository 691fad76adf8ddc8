#include <araldo/units.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;

TEST_CASE("durations need a unit", "[config][units]") {
    CHECK(araldo::parse_duration("250ms") == 250ms);
    CHECK(araldo::parse_duration("5s") == 5s);
    CHECK(araldo::parse_duration("5m") == 5min);
    CHECK(araldo::parse_duration("2h") == 2h);
    CHECK(araldo::parse_duration("1.5s") == 1500ms);
    CHECK(araldo::parse_duration(" 10s ") == 10s);
    CHECK_FALSE(araldo::parse_duration("5"));
    CHECK_FALSE(araldo::parse_duration("5 parsecs"));
    CHECK_FALSE(araldo::parse_duration("s"));
    CHECK_FALSE(araldo::parse_duration(""));
    CHECK_FALSE(araldo::parse_duration("-5s"));
    CHECK_FALSE(araldo::parse_duration("99999999999999999999h"));
}

TEST_CASE("sizes are bytes or a number with a unit", "[config][units]") {
    CHECK(araldo::parse_size("1024") == 1024u);
    CHECK(araldo::parse_size("64KiB") == 65536u);
    CHECK(araldo::parse_size("1MiB") == 1048576u);
    CHECK(araldo::parse_size("1GiB") == 1073741824u);
    CHECK(araldo::parse_size("10MB") == 10000000u);
    CHECK(araldo::parse_size("2KB") == 2000u);
    CHECK(araldo::parse_size("100B") == 100u);
    CHECK_FALSE(araldo::parse_size("1 tonne"));
    CHECK_FALSE(araldo::parse_size("MiB"));
    CHECK_FALSE(araldo::parse_size("1e400"));
}

TEST_CASE("durations format back to their shortest unit", "[config][units]") {
    CHECK(araldo::format_duration(5s) == "5s");
    CHECK(araldo::format_duration(250ms) == "250ms");
    CHECK(araldo::format_duration(2h) == "2h");
    CHECK(araldo::format_duration(0ms) == "0ms");
}
