// The plugin's files and queue, without a relay: spool replay and compaction,
// the saved queue, dead letters, due order.
#include "store.hpp"
#include "webhook_queue.hpp"

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace araldo::plugins::endpoint_webhook;
using namespace std::chrono_literals;

namespace {

delivery make(const std::string& id, std::size_t attempts = 0) {
    delivery d;
    d.id = id;
    d.endpoint = "hook";
    d.payload = "{\"id\":\"" + id + "\"}";
    d.attempts = attempts;
    return d;
}

std::vector<std::string> ids(const std::vector<delivery>& ds) {
    std::vector<std::string> out;
    for (const auto& d : ds) out.push_back(d.id);
    return out;
}

}  // namespace

TEST_CASE("the spool replays adds without a done, in order, and ignores a torn last line", "[webhook][unit]") {
    araldo::test::temp_dir dir;
    {
        pending_store s(dir.path(), true);
        REQUIRE(s.load().deliveries.empty());
        for (auto id : {"a", "b", "c", "d"}) s.added(make(id));
        s.done("b", 3);
    }
    {
        std::ofstream torn(dir / "spool.jsonl", std::ios::app);
        torn << R"({"add":{"id":"e","payl)";  // a crash in the middle of a write
    }
    pending_store s(dir.path(), true);
    auto loaded = s.load().deliveries;
    CHECK(ids(loaded) == std::vector<std::string>{"a", "c", "d"});
    CHECK(loaded[0].payload == "{\"id\":\"a\"}");
    // The torn line is kept, not dropped: a crash mid-write, for the operator to judge.
    CHECK(araldo::test::read_file(dir / "quarantine/spool.jsonl") == std::string(R"({"add":{"id":"e","payl)") + "\n");
    // load() rewrote the spool to exactly what is pending.
    CHECK(araldo::test::read_file(dir / "spool.jsonl").find("\"b\"") == std::string::npos);
}

TEST_CASE("an empty pending set truncates the spool; many finished records compact it", "[webhook][unit]") {
    araldo::test::temp_dir dir;
    pending_store s(dir.path(), true);
    s.load();
    s.added(make("x"));
    s.done("x", 0);
    CHECK(araldo::test::read_file(dir / "spool.jsonl").empty());

    s.added(make("keep"));
    bool wants = false;
    for (int i = 0; i < 6000 && !wants; ++i) {
        std::string id = "t" + std::to_string(i);
        s.added(make(id));
        wants = s.done(id, 1);
    }
    REQUIRE(wants);
    delivery keep = make("keep");
    s.compact({&keep});
    CHECK(araldo::test::read_file(dir / "spool.jsonl") == "{\"add\":" + to_json(keep) + "}\n");
}

TEST_CASE("a graceful stop saves the queue with attempt counts; the next load takes it over", "[webhook][unit]") {
    araldo::test::temp_dir dir;
    {
        pending_store s(dir.path(), true);
        s.load();
        s.added(make("a"));
        s.added(make("b"));
        delivery a = make("a", 3), b = make("b", 1);
        s.save({&a, &b});
    }
    CHECK_FALSE(std::filesystem::exists(dir / "spool.jsonl"));
    pending_store s(dir.path(), false);
    auto loaded = s.load().deliveries;
    REQUIRE(ids(loaded) == std::vector<std::string>{"a", "b"});
    CHECK(loaded[0].attempts == 3);
    CHECK_FALSE(std::filesystem::exists(dir / "queue.jsonl"));
}

TEST_CASE("dead letters are files, listed oldest first", "[webhook][unit]") {
    araldo::test::temp_dir data;
    dead_letter_store store(endpoint_dir(data.path(), "hook"));
    delivery late = make("late"), early = make("early/1");
    late.dead_at_ms = 2000;
    early.dead_at_ms = 1000;
    store.write(late);
    store.write(early);
    auto all = list_dead_letters(data.path());
    REQUIRE(all.size() == 2);
    CHECK(all[0].d.id == "early/1");
    CHECK(all[0].path.filename() == "early%2F1.json");
    CHECK(list_dead_letters(data.path(), "other").empty());
    CHECK(store.read("late")->dead_at_ms == 2000);
    CHECK(store.remove("late"));
    CHECK_FALSE(store.read("late"));
}

TEST_CASE("the queue hands out deliveries in due order and keeps in-flight ones pending", "[webhook][unit]") {
    delivery_queue q;
    auto now = delivery_queue::clock::now();
    auto a = std::make_shared<delivery>(make("a"));
    auto b = std::make_shared<delivery>(make("b"));
    auto c = std::make_shared<delivery>(make("c"));
    CHECK(q.add(a, now + 1s));
    CHECK(q.add(b, now));
    CHECK(q.add(c, now));
    CHECK_FALSE(q.add(std::make_shared<delivery>(make("a")), now));
    CHECK(q.take_due(now)->id == "b");
    CHECK(q.take_due(now)->id == "c");
    CHECK(q.take_due(now) == nullptr);
    CHECK(q.next_due() == now + 1s);
    CHECK(q.in_flight() == 2);
    CHECK(q.pending().size() == 3);
    q.reschedule(b, now + 2s);
    q.finish("c");
    q.all_due_now(now);
    CHECK(q.take_due(now)->id == "a");
    CHECK(q.take_due(now)->id == "b");
    CHECK(q.size() == 2);
}
