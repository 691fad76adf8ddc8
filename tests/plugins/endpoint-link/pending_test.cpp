// The requests a link waits on: each answered once, by its reply, its
// deadline or the loss of the connection it went out on, whichever is first.
#include "link_pending.hpp"

#include <araldo/request.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <vector>

using namespace araldo::plugins::endpoint_link;
using clock_type = araldo::reply_path::clock;

TEST_CASE("pending requests are taken by id, by deadline and by connection", "[link]") {
    std::vector<unsigned> answers;
    const auto make = [&](std::chrono::milliseconds in) {
        return araldo::reply_path::make(clock_type::now() + in, [&](araldo::reply r) { answers.push_back(r.status); });
    };
    pending_requests p;
    const auto a = p.add(make(std::chrono::hours(1)), 1);
    const auto b = p.add(make(std::chrono::hours(1)), 2);
    const auto c = p.add(make(std::chrono::milliseconds(-1)), 2);  // already past its deadline
    CHECK(a != b);
    CHECK(p.size() == 3);
    CHECK(p.count(2) == 2);

    auto expired = p.take_expired(clock_type::now());
    REQUIRE(expired.size() == 1);
    CHECK(p.take(c) == nullptr);  // gone with the sweep

    auto lost = p.take_connection(2);
    REQUIRE(lost.size() == 1);
    CHECK(p.count(2) == 0);

    auto path = p.take(a);
    REQUIRE(path);
    CHECK(path->answer(araldo::reply::json(200, "{}")));
    CHECK(p.take(a) == nullptr);  // a second reply for the same id finds nothing
    CHECK(p.size() == 0);
    CHECK(answers == std::vector<unsigned>{200});
    // The others answer "no responder" as the last holders let go of them.
    expired.clear();
    lost.clear();
    CHECK(answers.size() == 3);
}
