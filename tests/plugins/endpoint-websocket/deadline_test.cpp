// The endpoint's deadline heap without a timer or a session: items with
// made-up due times, checked against a plain sorted model after every step.
#include "ws_deadlines.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <random>
#include <vector>

using namespace araldo::plugins::endpoint_websocket;

namespace {

struct item {
    int id = 0;
    std::uint32_t deadline_slot = deadline_heap<item>::none;
};

using heap = deadline_heap<item>;
using time_point = heap::time_point;

time_point at(int ms) { return time_point{} + std::chrono::milliseconds(ms); }

// Takes out everything due at `now`, in the order the heap gives it.
std::vector<int> pop_all(heap& h, time_point now) {
    std::vector<int> out;
    while (auto* i = h.pop_due(now)) out.push_back(i->id);
    return out;
}

}  // namespace

TEST_CASE("deadlines: due items come out earliest first, the others stay", "[ws][deadline]") {
    std::array<item, 5> items{};
    for (int i = 0; i < 5; ++i) items[i].id = i;
    heap h;
    CHECK(h.earliest() == time_point::max());
    CHECK(h.pop_due(at(1'000'000)) == nullptr);

    h.set(items[0], at(50));
    h.set(items[1], at(10));
    h.set(items[2], at(40));
    h.set(items[3], at(20));
    h.set(items[4], at(30));
    CHECK(h.size() == 5);
    CHECK(h.earliest() == at(10));
    CHECK(h.due(items[2]) == at(40));

    CHECK(pop_all(h, at(9)).empty());
    CHECK(pop_all(h, at(30)) == std::vector<int>{1, 3, 4});  // at `now` itself is due
    CHECK_FALSE(h.contains(items[1]));
    CHECK(h.due(items[1]) == time_point::max());
    CHECK(h.earliest() == at(40));
    CHECK(pop_all(h, at(1000)) == std::vector<int>{2, 0});
    CHECK(h.empty());
}

TEST_CASE("deadlines: moving a deadline earlier or later, and removing one", "[ws][deadline]") {
    std::array<item, 4> items{};
    for (int i = 0; i < 4; ++i) items[i].id = i;
    heap h;
    for (int i = 0; i < 4; ++i) h.set(items[i], at(10 * (i + 1)));  // 10 20 30 40

    h.set(items[3], at(5));   // earlier: now first
    h.set(items[0], at(35));  // later
    CHECK(h.size() == 4);     // moved, not added again
    CHECK(h.earliest() == at(5));

    h.remove(items[1]);
    h.remove(items[1]);  // twice is harmless
    CHECK_FALSE(h.contains(items[1]));
    CHECK(h.size() == 3);

    h.set(items[2], time_point::max());  // max: no deadline
    CHECK_FALSE(h.contains(items[2]));

    CHECK(pop_all(h, at(100)) == std::vector<int>{3, 0});
    CHECK(h.empty());

    // An item that left can come back.
    h.set(items[1], at(7));
    CHECK(h.earliest() == at(7));
    CHECK(h.pop_due(at(7)) == &items[1]);
}

TEST_CASE("deadlines: random sets, moves and removals agree with a sorted model", "[ws][deadline]") {
    constexpr int n = 64;
    std::vector<item> items(n);
    for (int i = 0; i < n; ++i) items[i].id = i;
    std::map<int, int> model;  // id -> due (ms)
    heap h;
    std::mt19937 rng{13};
    std::uniform_int_distribution<int> pick{0, n - 1}, due{0, 999}, action{0, 9};
    int now = 0;

    for (int step = 0; step < 20'000; ++step) {
        const int id = pick(rng);
        const int a = action(rng);
        if (a < 6) {
            const int d = now + due(rng);
            h.set(items[id], at(d));
            model[id] = d;
        } else if (a < 8) {
            h.remove(items[id]);
            model.erase(id);
        } else {
            now += due(rng) / 10;
            // Everything due comes out, each at or before `now`, in due order.
            int last = -1;
            while (auto* i = h.pop_due(at(now))) {
                const auto it = model.find(i->id);
                REQUIRE(it != model.end());
                REQUIRE(it->second <= now);
                REQUIRE(it->second >= last);
                last = it->second;
                model.erase(it);
            }
            for (const auto& [left, d] : model) REQUIRE(d > now);
        }
        REQUIRE(h.size() == model.size());
        for (int i = 0; i < n; ++i) {
            const auto it = model.find(i);
            REQUIRE(h.contains(items[i]) == (it != model.end()));
            if (it != model.end()) REQUIRE(h.due(items[i]) == at(it->second));
        }
        int least = std::numeric_limits<int>::max();
        for (const auto& [id2, d] : model) least = std::min(least, d);
        REQUIRE(h.earliest() == (model.empty() ? time_point::max() : at(least)));
    }
}
