// What a service manager and a metrics pipeline see of the real binary: the
// statsd push received on a UDP socket of the test's own, systemd's
// readiness protocol received on a unix datagram socket, `araldo init`, and
// exit code 2 for a config that cannot start.
#include "support/http_client.hpp"
#include "support/relay.hpp"
#include "support/test_pki.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <csignal>
#include <cstring>
#include <optional>
#include <regex>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

// A bound datagram socket (UDP on 127.0.0.1, or unix) that the test reads.
class datagram_socket {
public:
    static datagram_socket udp() {
        datagram_socket s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(s.fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        socklen_t len = sizeof a;
        REQUIRE(::getsockname(s.fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        s.port = ntohs(a.sin_port);
        return s;
    }
    // `name` is a path, or an abstract name written with a leading '@'.
    static datagram_socket unix_socket(const std::string& name) {
        datagram_socket s(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::memcpy(a.sun_path, name.data(), name.size());
        if (name[0] == '@') a.sun_path[0] = '\0';
        auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
        REQUIRE(::bind(s.fd_, reinterpret_cast<sockaddr*>(&a), len) == 0);
        return s;
    }
    datagram_socket(datagram_socket&& o) noexcept : port(o.port), fd_(std::exchange(o.fd_, -1)) {}
    ~datagram_socket() {
        if (fd_ >= 0) ::close(fd_);
    }

    // The next datagram, or nullopt when none came within the bound.
    std::optional<std::string> receive(std::chrono::milliseconds bound = 10s) {
        timeval tv{static_cast<time_t>(bound.count() / 1000), static_cast<suseconds_t>(bound.count() % 1000 * 1000)};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[65536];
        const auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }

    unsigned short port = 0;

private:
    explicit datagram_socket(int fd) : fd_(fd) { REQUIRE(fd_ >= 0); }
    int fd_;
};

// Adds the statsd counter lines named `stat` in `packet` to `sum`.
void add_counts(const std::string& packet, const std::string& stat, std::uint64_t& sum) {
    const std::regex line("^" + stat + ":(\\d+)\\|c$");
    std::size_t at = 0;
    while (at <= packet.size()) {
        auto end = packet.find('\n', at);
        if (end == std::string::npos) end = packet.size();
        std::smatch m;
        const std::string l = packet.substr(at, end - at);
        if (std::regex_match(l, m, line)) sum += std::stoull(m[1]);
        at = end + 1;
    }
}

std::string relay_config(const std::string& global_extra) {
    return "global:\n  server-port: 0\n" + global_extra + R"(
plugins:
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, path: /emit}
    - {name: sink, id: endpoint-mock}
routes:
  emit: [sink]
)";
}

void post(unsigned short port, int n) {
    for (int i = 0; i < n; ++i)
        REQUIRE(http_request(port, "POST", "/emit", "{}", {{"Content-Type", "application/json"}}).status == 202);
}

}  // namespace

TEST_CASE("statsd receives the counters as increases and the gauges", "[integration][statsd]") {
    auto server = datagram_socket::udp();
    relay r(relay_config("  statsd: {host: localhost, port: " + std::to_string(server.port) +
                         ", prefix: test, interval: 50ms}\n"));
    std::uint64_t in = 0, routed = 0;
    bool saw_gauge = false;
    // Reads until the sums reach `want`; every datagram within statsd's size.
    auto receive_until = [&](std::uint64_t want) {
        while (in < want || routed < want) {
            auto packet = server.receive();
            REQUIRE(packet);
            CHECK(packet->size() <= 1432);
            add_counts(*packet, "test\\.araldo_messages_in_total\\.emit", in);
            add_counts(*packet, "test\\.araldo_route_messages_total\\.emit\\.sink", routed);
            saw_gauge = saw_gauge || packet->find("test.araldo_endpoint_up.sink:1|g") != std::string::npos;
        }
    };
    post(r.port(), 3);
    receive_until(3);
    post(r.port(), 2);
    receive_until(5);
    // Several more pushes (each carries the gauges): the counters stay where
    // /metrics has them, nothing is sent twice.
    for (int i = 0; i < 5; ++i) {
        auto packet = server.receive();
        REQUIRE(packet);
        add_counts(*packet, "test\\.araldo_messages_in_total\\.emit", in);
        add_counts(*packet, "test\\.araldo_route_messages_total\\.emit\\.sink", routed);
    }
    CHECK(in == 5);
    CHECK(routed == 5);
    CHECK(saw_gauge);
    CHECK_THAT(http_get(r.port(), "/metrics").body, Catch::Contains("araldo_messages_in_total{endpoint=\"emit\"} 5\n"));
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

TEST_CASE("statsd with dogstatsd tags", "[integration][statsd]") {
    auto server = datagram_socket::udp();
    relay r(relay_config("  statsd: {host: 127.0.0.1, port: " + std::to_string(server.port) +
                         ", interval: 50ms, tags: dogstatsd}\n"));
    post(r.port(), 2);
    std::uint64_t in = 0;
    while (in < 2) {
        auto packet = server.receive();
        REQUIRE(packet);
        static const std::regex tagged(R"(araldo_messages_in_total:(\d+)\|c\|#endpoint:emit)");
        for (auto it = std::sregex_iterator(packet->begin(), packet->end(), tagged); it != std::sregex_iterator(); ++it)
            in += std::stoull((*it)[1]);
    }
    CHECK(in == 2);
}

TEST_CASE("statsd host must be an IP address: the relay exits 2 naming the line", "[integration][statsd]") {
    temp_dir dir;
    auto file = dir.write("bad.yaml", "global:\n  statsd:\n    host: statsd.example.com\n");
    auto r = run_command({ARALDO_BINARY, "-c", file}, dir.path());
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("bad.yaml:3:11: host: 'statsd.example.com' is not an IP address"));
}

TEST_CASE("systemd hears READY=1 once listening and STOPPING=1 on stop", "[integration][systemd]") {
    temp_dir sock_dir;
    for (const std::string& name : {sock_dir / "notify", "@araldo-test-notify-" + std::to_string(::getpid())}) {
        INFO(name);
        auto systemd = datagram_socket::unix_socket(name);
        relay r(relay_config(""), {.env = {{"NOTIFY_SOCKET", name}}});
        auto ready = systemd.receive();
        REQUIRE(ready);
        CHECK(*ready == "READY=1\nSTATUS=listening on 127.0.0.1:" + std::to_string(r.port()));
        CHECK(http_get(r.port(), "/_health/").status == 200);
        r.process().signal(SIGTERM);
        CHECK(systemd.receive() == "STOPPING=1");
        CHECK(r.process().wait(10s) == 0);
    }
}

TEST_CASE("systemd hears RELOADING=1 and READY=1 around a certificate reload", "[integration][systemd]") {
    temp_dir dir;
    auto pki = make_test_pki(dir.path());
    auto systemd = datagram_socket::unix_socket(dir / "notify");
    relay r("global:\n  listeners:\n    - {name: public, port: 0, tls: {cert: " + pki.file("server.pem") +
                ", key: " + pki.file("server.key") + "}}\n",
            {.env = {{"NOTIFY_SOCKET", dir / "notify"}}});
    REQUIRE(systemd.receive().value_or("").starts_with("READY=1\n"));
    r.process().signal(SIGHUP);
    CHECK(systemd.receive() == "RELOADING=1");
    CHECK(systemd.receive() == "READY=1");
    CHECK_THAT(r.process().err(), Catch::Contains("certificate reloaded"));
}

TEST_CASE("araldo init writes a starter config that checks and runs", "[integration][init]") {
    temp_dir dir;
    const auto file = dir / "araldo.yaml";
    auto written = run_command({ARALDO_BINARY, "init", file}, dir.path());
    REQUIRE(written.code == 0);
    const auto text = read_file(file);
    CHECK_THAT(text, Catch::Contains("# araldo configuration, written by `araldo init`."));

    auto again = run_command({ARALDO_BINARY, "init", file}, dir.path());
    CHECK(again.code == 2);
    CHECK_THAT(again.err, Catch::Contains("araldo.yaml exists; not overwritten (--force replaces it)"));
    write_file(file, "edited\n");
    CHECK(run_command({ARALDO_BINARY, "init", "--force", file}, dir.path()).code == 0);
    CHECK(read_file(file) == text);

    auto check = run_command({ARALDO_BINARY, "--check", "-c", file}, dir.path());
    CHECK(check.code == 0);
    CHECK(check.err.empty());  // not even a warning

    // As written, but on a free port (the file says 54321).
    child_process relay({{ARALDO_BINARY, "-c", file}, {{"ARALDO_SERVER_PORT", "0"}}, dir.path(), false, dir.path()});
    REQUIRE(relay.wait_for_err("araldo listening on "));
    std::smatch m;
    const auto err = relay.err();
    REQUIRE(std::regex_search(err, m, std::regex(R"(araldo listening on [^ ]*:(\d+) )")));
    const auto port = static_cast<unsigned short>(std::stoi(m[1]));
    CHECK(http_get(port, "/_health/").status == 200);
    CHECK(http_request(port, "POST", "/emit", R"({"type":"hello"})", {{"Content-Type", "application/json"}}).status ==
          202);
    relay.signal(SIGTERM);
    CHECK(relay.wait(10s) == 0);
}

TEST_CASE("araldo init --data-dir sets the data-dir it writes", "[integration][init]") {
    temp_dir dir;
    const auto file = dir / "etc.yaml";
    REQUIRE(run_command({ARALDO_BINARY, "init", "--data-dir", "/var/lib/araldo", file}, dir.path()).code == 0);
    CHECK_THAT(read_file(file), Catch::Contains("\n  data-dir: /var/lib/araldo\n"));
    CHECK(run_command({ARALDO_BINARY, "init", "--bogus", dir / "x.yaml"}, dir.path()).code == 2);
}
