// The disk_writer thread: work runs off the calling thread, completions come
// back through the io_context, a full queue says so instead of blocking, and
// files queued together are all written.
#include "disk_writer.hpp"

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <boost/asio/io_context.hpp>

#include <fcntl.h>

#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

using namespace araldo::plugins::endpoint_webhook;

TEST_CASE("jobs run on the writer thread, their completions on the loop", "[webhook][unit][writer]") {
    boost::asio::io_context io;
    disk_writer w(io.get_executor(), 2);
    std::mutex m;
    std::condition_variable cv;
    bool release = false;
    // Nothing runs until start(): the first job then holds the thread.
    REQUIRE(w.submit(
        [&] {
            std::unique_lock lock(m);
            cv.wait(lock, [&] { return release; });
        },
        {}));
    REQUIRE(w.submit([] { throw std::runtime_error("disk on fire"); },
                     [&](araldo::result<> r) { CHECK(r.reason() == "disk on fire"); }));
    CHECK_FALSE(w.submit([] {}, {}));  // full: refused at once, not queued
    CHECK(w.queued() == 2);
    std::thread::id ran_on;
    std::vector<std::string> done;
    w.start();
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    REQUIRE(araldo::test::wait_until([&] { return w.queued() == 0; }));
    REQUIRE(w.submit([&] { ran_on = std::this_thread::get_id(); },
                     [&](araldo::result<> r) { done.push_back("job:" + r.reason()); }));
    w.stop();  // runs what is queued first
    // Files queued together are written as one batch.
    araldo::test::temp_dir dir;
    disk_writer files(io.get_executor(), 8);
    for (int i = 0; i < 5; ++i)
        REQUIRE(files.submit_file(fs::path(dir.path()) / "sub" / (std::to_string(i) + ".json"),
                                  "file " + std::to_string(i),
                                  [&](araldo::result<> r) { done.push_back("file:" + r.reason()); }));
    files.start();
    files.stop();
    io.run();  // the completions, on this thread
    CHECK(ran_on != std::this_thread::get_id());
    REQUIRE(done.size() == 6);
    CHECK(done[0] == "job:");
    CHECK(done[5] == "file:");
    for (int i = 0; i < 5; ++i)
        CHECK(araldo::test::read_file(dir.path() + "/sub/" + std::to_string(i) + ".json") ==
              "file " + std::to_string(i));
    CHECK_FALSE(std::filesystem::exists(dir.path() + "/sub/0.json.tmp"));
}

TEST_CASE("written spool bytes are synced within a second, and a stall is reported", "[webhook][unit][writer]") {
    boost::asio::io_context io;
    araldo::test::temp_dir dir;
    disk_writer w(io.get_executor(), 4);
    int syncs = 0;
    w.on_synced = [&](std::chrono::milliseconds, araldo::result<> synced) {
        CHECK(synced);
        ++syncs;
    };
    int fd = ::open((dir.path() + "/spool").c_str(), O_WRONLY | O_CREAT, 0644);
    auto file = std::make_shared<araldo::plugins::endpoint_webhook::file_handle>(fd);
    w.written(file, dir.path());
    CHECK(w.sync_lagging(std::chrono::seconds(0)) == true);  // not synced yet: nothing runs before start()
    w.start();
    REQUIRE(araldo::test::wait_until([&] { return !w.sync_lagging(std::chrono::seconds(0)); }));
    // Now the thread sleeps with nothing to do (a job's completion says it
    // went round its loop); a write must still be synced within the second.
    bool went_round = false;
    REQUIRE(w.submit([] {}, [&](const araldo::result<>&) { went_round = true; }));
    REQUIRE(araldo::test::wait_until([&] {
        io.restart();
        io.poll();
        return went_round;
    }));
    w.written(file, dir.path());
    REQUIRE(
        araldo::test::wait_until([&] { return !w.sync_lagging(std::chrono::seconds(0)); }, std::chrono::seconds(5)));
    w.stop();
    io.restart();
    io.run();
    CHECK(syncs == 2);
}
