// Signals: a graceful stop exits 0 within the shutdown timeout; a second
// signal exits at once; SIGHUP/SIGUSR1/SIGUSR2 are ignored; a port that
// cannot be bound or a data-dir another relay holds is a runtime failure.
#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <csignal>
#include <filesystem>
#include <regex>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

std::string config_with(const std::string& endpoint_extra, const std::string& timeout = "5s") {
    return R"(global:
  server-port: 0
  shutdown-timeout: )" +
           timeout + R"(
plugins:
  araldo.endpoints.endpoint:
    - {name: a, id: endpoint-mock)" +
           endpoint_extra + R"(}
    - {name: out, id: endpoint-file, output: "{DIR}/out.txt"}
routes:
  a: [out]
)";
}

}  // namespace

TEST_CASE("SIGTERM stops every endpoint and exits 0", "[integration][lifecycle]") {
    relay r(config_with(", inject: [x, y]"));
    REQUIRE(wait_until([&] { return read_file(r.path("out.txt")) == "x\ny\n"; }));
    auto started = std::chrono::steady_clock::now();
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK_THAT(r.process().err(), Catch::Contains("signal 15: stopping"));
    CHECK_THAT(r.process().err(), Catch::Contains("stopped"));
}

TEST_CASE("an endpoint slower than shutdown-timeout does not hold the exit", "[integration][lifecycle]") {
    relay r(config_with(", stop-delay: 60s", "500ms"));
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
    CHECK_THAT(r.process().err(), Catch::Contains("shutdown timeout: endpoint a still running"));
}

TEST_CASE("a second signal exits at once", "[integration][lifecycle]") {
    relay r(config_with(", stop-delay: 60s", "60s"));
    r.process().signal(SIGINT);
    REQUIRE(r.process().wait_for_err("signal 2: stopping"));
    r.process().signal(SIGINT);
    CHECK(r.process().wait(10s) == 1);
    CHECK_THAT(r.process().err(), Catch::Contains("second signal"));
}

TEST_CASE("a port already in use is a runtime failure, exit 1", "[integration][lifecycle]") {
    relay first(config_with(""));
    std::string busy = "global:\n  server-port: " + std::to_string(first.port()) + "\n";
    relay second(busy, {.wait_listening = false});
    CHECK(second.process().wait(10s) == 1);
    // One clean line: no repeated address, no Boost source location.
    const std::string line =
        "cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": address already in use\n";
    CHECK_THAT(second.process().err(), Catch::EndsWith(line));
    CHECK_THAT(second.process().err(), !Catch::Contains("http listener") && !Catch::Contains("[system:"));
}

TEST_CASE("SIGHUP reloads, SIGUSR1 and SIGUSR2 are logged and ignored, and SIGTERM still stops",
          "[integration][lifecycle][signal]") {
    relay r(config_with(""));
    r.process().signal(SIGHUP);
    REQUIRE(r.process().wait_for_err("configuration reloaded from "));
    CHECK(r.process().running());
    const std::pair<int, const char*> signals[] = {{SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}};
    for (const auto& [signo, name] : signals) {
        INFO(name);
        r.process().signal(signo);
        REQUIRE(r.process().wait_for_err(std::string(name) + " received: nothing to do"));
        CHECK(r.process().running());
        CHECK(http_get(r.port(), "/_health/").status == 200);
    }
    r.process().signal(SIGUSR2);  // a second one is no more fatal than the first
    REQUIRE(r.process().wait_for_err("SIGUSR2 received: nothing to do (SIGUSR1 reopens a log-file); ignored (2 so far)"));
    CHECK(http_get(r.port(), "/_health/").status == 200);
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

TEST_CASE("a second relay on the same data-dir refuses before binding, naming the holder",
          "[integration][lifecycle][lock]") {
    temp_dir shared;
    const std::string data_dir = shared / "not/yet/there";
    const std::string config = "global:\n  server-port: 0\n  data-dir: " + data_dir + "\n";
    relay first(config);
    // Created if missing, and the lock file names its holder.
    CHECK(read_file(data_dir + "/araldo.lock") == std::to_string(first.process().pid()) + "\n");

    relay second(config, {.wait_listening = false});
    CHECK(second.process().wait(10s) == 1);
    CHECK_THAT(second.process().err(), Catch::Contains("data-dir " + data_dir + " is in use by another araldo (pid " +
                                                       std::to_string(first.process().pid()) + ","));
    CHECK_THAT(second.process().err(), !Catch::Contains("listening"));
    CHECK(first.process().running());
    CHECK(read_file(data_dir + "/araldo.lock") == std::to_string(first.process().pid()) + "\n");

    // The lock goes with its holder, however it ends: kill -9 leaves no stale lock.
    first.process().signal(SIGKILL);
    CHECK(first.process().wait(10s) == 128 + SIGKILL);
    relay third(config);
    CHECK(read_file(data_dir + "/araldo.lock") == std::to_string(third.process().pid()) + "\n");
    third.process().signal(SIGTERM);
    CHECK(third.process().wait(10s) == 0);
}

namespace {

// Starts `argv` and reads the listening port from its log; 0 if it never listened.
unsigned short listening_port(child_process& p) {
    if (!p.wait_for_err(" listening on ")) return 0;
    std::smatch m;
    const std::string err = p.err();
    if (!std::regex_search(err, m, std::regex(R"( listening on [^ ]*:(\d+) )"))) return 0;
    return static_cast<unsigned short>(std::stoi(m[1]));
}

int connect_to(unsigned short port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// The documented policy of repeated warnings (docs/operations.md, Logs): the
// 1st, 2nd, 4th, 8th... and every 1000th occurrence.
bool logged_occurrence(std::uint64_t n) { return (n & (n - 1)) == 0 || n % 1000 == 0; }

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("accept failures (EMFILE) are counted and their warnings rate-limited", "[integration][lifecycle][http]") {
    temp_dir dir;
    const std::string config = dir.write("araldo.yaml", "global:\n  server-port: 0\n");
    // Few descriptors for the relay alone, so that held connections use them
    // up. UBSan's vptr check probes memory through a pipe: with no descriptor
    // left it reports every virtual call as a bad vptr, so that check alone
    // is suppressed here (env replaces the inherited UBSAN_OPTIONS).
    const std::string suppressions = dir.write("ubsan.supp", "vptr_check:*\n");
    child_process relay_process{
        {{"/usr/bin/env", "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=" + suppressions,
          "/usr/bin/prlimit", "--nofile=40:40", ARALDO_BINARY, "-c", config},
         {},
         dir.path(),
         false,
         dir.path()}};
    const auto port = listening_port(relay_process);
    REQUIRE(port != 0);
    std::vector<int> held;
    for (int i = 0; i < 80; ++i) {
        const int fd = connect_to(port);  // completes in the kernel's backlog even when accept fails
        REQUIRE(fd >= 0);
        held.push_back(fd);
    }
    // Eight failed retries at least (the 8th is logged): one line each would be eight.
    REQUIRE(relay_process.wait_for_err("(8 so far)", 30s));
    for (int fd : held) ::close(fd);
    // Once the held connections are gone, the relay accepts again.
    std::string metrics;
    REQUIRE(wait_until(
        [&] {
            try {
                metrics = http_get(port, "/metrics").body;
                return true;
            } catch (const std::exception&) {
                return false;
            }
        },
        30s));
    std::smatch m;
    REQUIRE(std::regex_search(metrics, m, std::regex(R"(araldo_http_accept_errors_total (\d+))")));
    const auto failures = std::stoull(m[1]);
    CHECK(failures >= 8);
    std::size_t expected_lines = 0;
    for (std::uint64_t n = 1; n <= failures; ++n) expected_lines += logged_occurrence(n) ? 1 : 0;
    CHECK(count_of(relay_process.err(), "http: accept failed: ") == expected_lines);
    CHECK(expected_lines < failures);
    relay_process.signal(SIGTERM);
    CHECK(relay_process.wait(10s) == 0);
}

TEST_CASE("the relay resolves data-dir against the config's folder, not its working directory",
          "[integration][lifecycle][paths]") {
    temp_dir dir, elsewhere;
    std::filesystem::create_directories(dir / "sub");
    const std::string config = dir.write("sub/araldo.yaml", "global:\n  server-port: 0\n  data-dir: state\n");
    child_process p{{{ARALDO_BINARY, "-c", config}, {}, elsewhere.path(), false, elsewhere.path()}};
    REQUIRE(listening_port(p) != 0);
    CHECK(read_file(dir / "sub/state/araldo.lock") == std::to_string(p.pid()) + "\n");
    CHECK_FALSE(std::filesystem::exists(elsewhere / "state"));
    p.signal(SIGTERM);
    CHECK(p.wait(10s) == 0);
}
