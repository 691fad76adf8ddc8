// araldo::format_utc: RFC 3339 in UTC, truncated to the precision asked for.
#include <araldo/time.hpp>

#include <catch2/catch.hpp>

using araldo::format_utc;
using araldo::time_precision;
using namespace std::chrono;

namespace {

system_clock::time_point at(sys_days day, milliseconds since_midnight = {}) {
    return system_clock::time_point{day} + since_midnight;
}

}  // namespace

TEST_CASE("format_utc: the epoch, in both precisions", "[sdk][time]") {
    CHECK(format_utc(system_clock::time_point{}) == "1970-01-01T00:00:00Z");
    CHECK(format_utc(system_clock::time_point{}, time_precision::milliseconds) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("format_utc: a leap day and the seconds around midnight", "[sdk][time]") {
    const auto leap = sys_days{2024y / February / 29};
    CHECK(format_utc(at(leap)) == "2024-02-29T00:00:00Z");
    CHECK(format_utc(at(leap, hours{23} + minutes{59} + seconds{59} + milliseconds{999}),
                     time_precision::milliseconds) == "2024-02-29T23:59:59.999Z");
    CHECK(format_utc(at(leap, hours{24})) == "2024-03-01T00:00:00Z");
    CHECK(format_utc(at(sys_days{2000y / February / 29}, hours{12})) == "2000-02-29T12:00:00Z");
    CHECK(format_utc(at(sys_days{2023y / December / 31}, hours{23} + minutes{59} + seconds{59})) ==
          "2023-12-31T23:59:59Z");
}

TEST_CASE("format_utc truncates, never rounds up, on both sides of 1970", "[sdk][time]") {
    const auto t = at(sys_days{2026y / December / 2}, hours{10} + minutes{5} + seconds{7} + milliseconds{999});
    CHECK(format_utc(t) == "2026-12-02T10:05:07Z");
    CHECK(format_utc(t + microseconds{999}, time_precision::milliseconds) == "2026-12-02T10:05:07.999Z");
    // One millisecond before the epoch is still 1969.
    CHECK(format_utc(system_clock::time_point{} - milliseconds{1}, time_precision::milliseconds) ==
          "1969-12-31T23:59:59.999Z");
    CHECK(format_utc(system_clock::time_point{} - milliseconds{1}) == "1969-12-31T23:59:59Z");
}

TEST_CASE("format_utc agrees with Unix seconds", "[sdk][time]") {
    // 1 700 000 000 s after the epoch, a well-known instant.
    CHECK(format_utc(system_clock::time_point{seconds{1700000000}}) == "2023-11-14T22:13:20Z");
    CHECK(format_utc(system_clock::time_point{milliseconds{1700000000123}}, time_precision::milliseconds) ==
          "2023-11-14T22:13:20.123Z");
}
