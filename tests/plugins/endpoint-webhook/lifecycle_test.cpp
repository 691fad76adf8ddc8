// Start, stop and crash around the saved state: `--check` and friends touch
// nothing, SIGTERM saves what is in flight, kill -9 with a spool loses
// nothing that was answered 202.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

using namespace araldo::test;
using namespace araldo::test::webhook;
using namespace std::chrono_literals;

namespace {

run_result araldo_cli(const std::vector<std::string>& args, const temp_dir& out) {
    std::vector<std::string> argv{ARALDO_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, out.path());
}

std::vector<std::string> emit_n(unsigned short port, int n, const std::string& tag) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
        auto e = emit(port, "{\"" + tag + "\":" + std::to_string(i) + "}");
        REQUIRE(e.status == 202);
        ids.push_back(e.id);
    }
    return ids;
}

void check_each_delivered(const receiver& rx, const std::vector<std::string>& ids) {
    auto got = bodies_by_id(rx);
    for (const auto& id : ids) {
        INFO("id " << id);
        CHECK(got.count(id) == 1);
    }
}

// Waits until every id reached `before` (the previous run's receiver) or `rx`, then checks it.
void check_each_delivered(const receiver& before, const receiver& rx, const std::vector<std::string>& ids) {
    auto first = bodies_by_id(before);
    auto covered = [&] {
        auto second = bodies_by_id(rx);
        return std::all_of(ids.begin(), ids.end(),
                           [&](const auto& id) { return first.count(id) + second.count(id) > 0; });
    };
    wait_until(covered, 30s);
    auto second = bodies_by_id(rx);
    for (const auto& id : ids) {
        INFO("id " << id);
        CHECK(first.count(id) + second.count(id) >= 1);
    }
}

}  // namespace

TEST_CASE("check, list-plugins and print-options runs leave saved deliveries alone", "[webhook][lifecycle]") {
    temp_dir data, work;
    std::vector<std::string> ids;
    // Held: the first request hangs, the rest wait behind it (due at once after a restart).
    receiver hanging;
    hanging.respond([](const received_request&, std::size_t) { return reply{200, {}, true}; });
    {
        relay r(emit_config("url: \"" + hanging.url() + "\", max-in-flight: 1", data.path()));
        ids = emit_n(r.port(), 20, "n");
        r.process().signal(SIGTERM);
        REQUIRE(r.process().wait(10s) == 0);
    }
    std::string queue = data.path() + "/webhook/hook/queue.jsonl";
    std::string saved = read_file(queue);
    REQUIRE_FALSE(saved.empty());

    receiver rx;
    std::string cfg = work.write("araldo.yaml", emit_config("url: \"" + rx.url() + "\"", data.path()));
    auto check = araldo_cli({"--check", "-c", cfg}, work);
    CHECK(check.code == 0);
    CHECK(araldo_cli({"--list-plugins", "-c", cfg}, work).code == 0);
    CHECK(araldo_cli({"--print-options", "-c", cfg}, work).code == 0);
    CHECK(read_file(queue) == saved);
    CHECK_FALSE(std::filesystem::exists(data.path() + "/webhook/hook/spool.jsonl"));

    relay r(emit_config("url: \"" + rx.url() + "\"", data.path()));
    REQUIRE(rx.wait_for(ids.size()));
    check_each_delivered(rx, ids);
}

TEST_CASE("a check beside a spooling relay, then kill -9: every 202 is delivered", "[webhook][lifecycle]") {
    temp_dir data, work;
    std::string hook_opts = "spool: true, retry-schedule: [0s, 1h], url: ";
    std::vector<std::string> ids;
    {
        relay r(emit_config(hook_opts + "\"" + down_url() + "\"", data.path()));
        ids = emit_n(r.port(), 30, "before");
        std::string cfg = work.write("araldo.yaml", emit_config(hook_opts + "\"" + down_url() + "\"", data.path()));
        CHECK(araldo_cli({"--check", "-c", cfg}, work).code == 0);
        // Spooled after the check: lost if the check had rewritten the spool
        // under the running relay (its appends would go to an unlinked file).
        auto more = emit_n(r.port(), 30, "after");
        ids.insert(ids.end(), more.begin(), more.end());
        r.process().signal(SIGKILL);
        r.process().wait(10s);
    }
    receiver rx;
    relay r(emit_config(hook_opts + "\"" + rx.url() + "\"", data.path()));
    REQUIRE(rx.wait_for(ids.size()));
    check_each_delivered(rx, ids);
}

TEST_CASE("SIGTERM with deliveries in flight to a slow receiver: exit 0, then each id is delivered",
          "[webhook][lifecycle]") {
    receiver slow;
    slow.respond([](const received_request&, std::size_t) {
        std::this_thread::sleep_for(20ms);  // one request at a time: about 50 a second
        return reply{200};
    });
    temp_dir data;
    std::vector<std::string> ids;
    {
        relay r(emit_config("max-in-flight: 4, url: \"" + slow.url() + "\"", data.path()));
        ids = emit_n(r.port(), 300, "n");
        REQUIRE(slow.wait_for(10));
        r.process().signal(SIGTERM);
        // Within shutdown-timeout (3s in emit_config), with its own exit code.
        REQUIRE(r.process().wait(3s) == 0);
        CHECK_THAT(r.process().err(), Catch::Contains("pending deliveries for the next start"));
    }
    REQUIRE(slow.count() < ids.size());  // the stop really came in the middle
    receiver rx;
    relay r(emit_config("url: \"" + rx.url() + "\"", data.path()));
    check_each_delivered(slow, rx, ids);
}

TEST_CASE("kill -9 under load with spool: every message answered 202 is delivered after a restart",
          "[webhook][lifecycle]") {
    receiver slow;
    slow.respond([](const received_request&, std::size_t) {
        std::this_thread::sleep_for(5ms);
        return reply{200};
    });
    temp_dir data;
    std::mutex mutex;
    std::vector<std::string> accepted;
    {
        relay r(emit_config("spool: true, max-in-flight: 8, url: \"" + slow.url() + "\"", data.path()));
        std::atomic<bool> sending{true};
        std::vector<std::thread> senders;
        for (int t = 0; t < 4; ++t) {
            senders.emplace_back([&, t] {
                for (int i = 0; sending; ++i) {
                    try {
                        auto e = emit(r.port(), "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}");
                        if (e.status == 202) {
                            std::lock_guard lock(mutex);
                            accepted.push_back(e.id);
                        }
                    } catch (const std::exception&) {
                        return;  // the relay is gone
                    }
                }
            });
        }
        REQUIRE(wait_until(
            [&] {
                std::lock_guard lock(mutex);
                return accepted.size() >= 400;
            },
            30s));
        r.process().signal(SIGKILL);
        r.process().wait(10s);
        sending = false;
        for (auto& s : senders) s.join();
    }
    receiver rx;
    relay r(emit_config("spool: true, url: \"" + rx.url() + "\"", data.path()));
    check_each_delivered(slow, rx, accepted);
}
