// The `url` option parsed without a config: redis://, rediss:// and unix://.
#include "redis_url.hpp"

#include <catch2/catch.hpp>

using namespace araldo::plugins::endpoint_redis;

namespace {

redis_address ok(std::string_view url) {
    auto r = parse_redis_url(url);
    if (auto* e = std::get_if<url_error>(&r)) FAIL(std::string(url) << ": " << e->what);
    return std::get<redis_address>(r);
}

std::string bad(std::string_view url) {
    auto r = parse_redis_url(url);
    REQUIRE(std::holds_alternative<url_error>(r));
    return std::get<url_error>(r).what;
}

}  // namespace

TEST_CASE("redis and unix URLs", "[redis][url]") {
    auto a = ok("redis://127.0.0.1:6380");
    CHECK(a.host == "127.0.0.1");
    CHECK(a.port == 6380);
    CHECK(a.db == 0);
    CHECK(a.password.empty());
    CHECK_FALSE(a.tls);
    auto b = ok("redis://alice:p%40ss@redis.local/3");
    CHECK(b.user == "alice");
    CHECK(b.password == "p@ss");
    CHECK(b.port == 6379);
    CHECK(b.db == 3);
    CHECK(b.display() == "redis://redis.local:6379/3");
    auto c = ok("redis://:secret@[::1]:7000");
    CHECK(c.user.empty());
    CHECK(c.password == "secret");
    CHECK(c.host == "::1");
    CHECK(c.display() == "redis://[::1]:7000");
    auto u = ok("unix:///run/redis.sock?db=2");
    CHECK(u.unix_socket);
    CHECK(u.path == "/run/redis.sock");
    CHECK(u.db == 2);
    CHECK_FALSE(u.tls);
    CHECK_THAT(bad("http://host"), Catch::Contains("unknown scheme"));
    CHECK_THAT(bad("redis://host:99999"), Catch::Contains("out of range"));
    CHECK_THAT(bad("redis://host/x"), Catch::Contains("not a number"));
    CHECK_THAT(bad("redis://alice@host"), Catch::Contains("without a password"));
    CHECK_THAT(bad("unix://"), Catch::Contains("no socket path"));
}

TEST_CASE("rediss URLs are TCP with TLS, and say so in what logs show", "[redis][url][tls]") {
    auto a = ok("rediss://127.0.0.1:6380");
    CHECK(a.tls);
    CHECK_FALSE(a.unix_socket);
    CHECK(a.host == "127.0.0.1");
    CHECK(a.port == 6380);
    CHECK(a.display() == "rediss://127.0.0.1:6380");
    auto b = ok("rediss://alice:p%40ss@redis.example.com/4");
    CHECK(b.tls);
    CHECK(b.host == "redis.example.com");
    CHECK(b.port == 6379);  // as redis://: hosted services say their TLS port in the URL
    CHECK(b.user == "alice");
    CHECK(b.password == "p@ss");
    CHECK(b.db == 4);
    CHECK(b.display() == "rediss://redis.example.com:6379/4");
    auto c = ok("rediss://:secret@[::1]:7000");
    CHECK(c.tls);
    CHECK(c.host == "::1");
    CHECK(c.display() == "rediss://[::1]:7000");
    // The same rules as redis://.
    CHECK_THAT(bad("rediss://"), Catch::Contains("no host"));
    CHECK_THAT(bad("rediss://host:0"), Catch::Contains("out of range"));
    CHECK_THAT(bad("rediss://host/x"), Catch::Contains("not a number"));
    CHECK_THAT(bad("rediss://alice@host"), Catch::Contains("without a password"));
    CHECK_THAT(bad("redis+tls://host"), Catch::Contains("unknown scheme"));
}
