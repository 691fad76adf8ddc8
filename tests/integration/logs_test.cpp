// global.log-file (reopened on SIGUSR1), log-format: json and log-levels,
// through the real binary.
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <set>
#include <sstream>

using namespace araldo::test;

namespace {

// An HTTP ingress routed to a file: every POST is one EMIT line.
std::string config(unsigned short port, const std::string& global) {
    return "global:\n  server-port: " + std::to_string(port) + "\n" + global + R"(
plugins:
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http}
    - {name: out, id: endpoint-file, output: out.txt}
routes:
  emit: [out]
)";
}

struct logged_relay {
    temp_dir dir;
    unsigned short port = free_port();
    std::unique_ptr<child_process> proc;

    explicit logged_relay(const std::string& global) {
        const std::string file = dir.write("araldo.yaml", config(port, global));
        proc = std::make_unique<child_process>(
            child_process::spec{{ARALDO_BINARY, "-c", file}, {}, dir.path(), false, dir.path()});
    }
    std::string log() const { return read_file(dir / "araldo.log"); }
    // The log may not say "listening" (core: warn): ask the listener itself.
    bool ready() const {
        return wait_until([&] {
            try {
                return http_get(port, "/_health/").status == 200;
            } catch (const std::exception&) {
                return false;
            }
        });
    }
    bool wait_log(const std::string& path, const std::string& needle) const {
        return wait_until([&] { return read_file(path).find(needle) != std::string::npos; });
    }
    void post(int i) const {
        const auto r = http_request(port, "POST", "/emit", "{\"n\":" + std::to_string(i) + "}",
                                    {{"Content-Type", "application/json"}});
        REQUIRE(r.status == 202);
    }
    void stop() {
        proc->signal(SIGTERM);
        CHECK(proc->wait(std::chrono::seconds(10)) == 0);
    }
};

// The message ids of the EMIT lines of a log.
std::vector<std::string> emitted(const std::string& log) {
    std::vector<std::string> ids;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find("EMIT ");
        if (at != std::string::npos) ids.push_back(line.substr(at + 5, line.find(' ', at + 5) - at - 5));
    }
    return ids;
}

}  // namespace

TEST_CASE("log-file is reopened on SIGUSR1 and a rotation loses no line", "[logs][signals]") {
    logged_relay r("  log-file: araldo.log\n");
    REQUIRE(r.ready());
    REQUIRE(r.wait_log(r.dir / "araldo.log", " listening on "));
    CHECK(r.proc->err().empty());  // the log goes to the file instead of stderr
    int sent = 0;
    for (; sent < 100; ++sent) r.post(sent);
    // As logrotate does: rename, then signal while messages keep coming.
    REQUIRE(std::rename((r.dir / "araldo.log").c_str(), (r.dir / "araldo.log.1").c_str()) == 0);
    r.proc->signal(SIGUSR1);
    for (; sent < 200; ++sent) r.post(sent);
    REQUIRE(r.wait_log(r.dir / "araldo.log", "log file reopened"));
    for (; sent < 300; ++sent) r.post(sent);
    REQUIRE(
        wait_until([&] { return emitted(r.log()).size() + emitted(read_file(r.dir / "araldo.log.1")).size() == 300; }));
    r.stop();
    const auto before = emitted(read_file(r.dir / "araldo.log.1"));
    const auto after = emitted(r.log());
    CHECK(before.size() >= 100);
    CHECK(after.size() >= 100);
    std::set<std::string> ids(before.begin(), before.end());
    ids.insert(after.begin(), after.end());
    CHECK(ids.size() == 300);
    CHECK_THAT(r.log(), Catch::Contains("[araldo] stopped"));
}

TEST_CASE("log-format json writes one object per line", "[logs]") {
    logged_relay r("  log-file: araldo.log\n  log-format: json\n  log-payloads: true\n");
    REQUIRE(r.ready());
    const auto reply =
        http_request(r.port, "POST", "/emit?type=greeting", R"({"type":"greeting","password":"hunter2","say":"a\nb"})",
                     {{"Content-Type", "application/json"}});
    REQUIRE(reply.status == 202);
    REQUIRE(r.wait_log(r.dir / "araldo.log", "EMIT "));
    r.stop();
    std::istringstream in(r.log());
    int lines = 0;
    bool emit = false;
    for (std::string line; std::getline(in, line); ++lines) {
        INFO(line);
        boost::system::error_code ec;
        const auto v = boost::json::parse(line, ec);
        REQUIRE(!ec);
        const auto& o = v.as_object();
        CHECK(o.size() == 4);
        CHECK(o.at("time").as_string().size() == 24);  // 2026-12-02T16:00:00.123Z
        CHECK(o.contains("level"));
        const std::string message(o.at("message").as_string());
        if (message.starts_with("EMIT ")) {
            emit = true;
            CHECK(o.at("logger") == "emit");
            CHECK(o.at("level") == "info");
            CHECK_THAT(message, Catch::Contains(" greeting emit "));
            CHECK_THAT(message, Catch::Contains(R"("password":"***")"));
            CHECK_THAT(message, !Catch::Contains("hunter2"));
        }
    }
    CHECK(lines >= 3);
    CHECK(emit);
}

TEST_CASE("log-levels sets single loggers apart from log-level", "[logs]") {
    SECTION("EMIT silenced, the rest at info") {
        logged_relay r("  log-file: araldo.log\n  log-levels: {emit: warn}\n");
        REQUIRE(r.ready());
        r.post(1);
        REQUIRE(wait_until([&] { return read_file(r.dir / "out.txt").find("{\"n\":1}") != std::string::npos; }));
        r.stop();
        CHECK(emitted(r.log()).empty());
        CHECK_THAT(r.log(), Catch::Contains("[araldo] stopped"));
    }
    SECTION("one endpoint at debug, the core at warn") {
        logged_relay r("  log-file: araldo.log\n  log-levels: {endpoint/out: debug, core: warn}\n");
        REQUIRE(r.ready());
        r.post(1);
        REQUIRE(r.wait_log(r.dir / "araldo.log", "[emit] EMIT"));
        r.stop();
        CHECK_THAT(r.log(), Catch::Contains("[endpoint/out] stopped"));  // a debug line
        CHECK_THAT(r.log(), !Catch::Contains("[endpoint/emit] stopped"));
        CHECK_THAT(r.log(), !Catch::Contains("[araldo]"));  // info lines of the core
    }
}
