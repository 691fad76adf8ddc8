// rediss:// against a real redis-server listening only for TLS (`--port 0
// --tls-port P`), with certificates made by make_test_pki: messages both ways
// with a client certificate, and each way the handshake can be refused.
#include "redis_cli.hpp"
#include "redis_server.hpp"

#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

// bus_config's relay on `url`, with `tls` (a YAML flow mapping, or empty for none).
std::string tls_config(const std::string& url, const std::string& tls, const std::string& more = {}) {
    std::string options = "subscribe: [in], publish: out, reconnect: {min: 50ms, max: 500ms}" + more;
    if (!tls.empty()) options += ", tls: " + tls;
    return bus_config(url, options);
}

std::string client_tls(const test_pki& pki, const std::string& ca = "ca.pem") {
    return "{ca: \"" + pki.file(ca) + "\", cert: \"" + pki.file("client.pem") + "\", key: \"" + pki.file("client.key") +
           "\"}";
}

// The body of /_health/?full once both connections report `needle`.
std::string problems_saying(const relay& r, const std::string& needle) {
    std::string body;
    const bool both = wait_until([&] {
        body = http_get(r.port(), "/_health/?full").body;
        auto first = body.find(needle);
        return first != std::string::npos && body.find(needle, first + 1) != std::string::npos;
    });
    INFO(body);
    REQUIRE(both);
    return body;
}

}  // namespace

TEST_CASE("rediss:// with a client certificate: messages in and out over TLS", "[redis][tls]") {
    redis_server redis({}, redis_server::tls_options{.auth_clients = true});
    redis_cli_subscriber sub(redis, {"out"});
    relay r(tls_config(redis.url(), client_tls(redis.pki())), {.pipe_stdin = true});
    REQUIRE(wait_until([&] { return healthy(r); }));

    r.process().write_stdin("over-tls\n");
    REQUIRE(wait_until([&] { return sub.payloads() == std::vector<std::string>{"over-tls"}; }));
    CHECK(redis_cli(redis).command({"PUBLISH", "in", "into-araldo"}) == "1");
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")) == std::vector<std::string>{"into-araldo"}; }));

    // Redis listens for nothing but TLS: both connections are over it.
    const std::string log = r.process().err();
    CHECK_THAT(log, Catch::Contains("subscriber connected to " + redis.url()));
    CHECK_THAT(log, Catch::Contains("publisher connected to " + redis.url()));
    CHECK(redis.url().starts_with("rediss://"));
    CHECK(metric(r.port(), R"(araldo_redis_published_total{endpoint="bus"})") == 1);
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

TEST_CASE("rediss:// by host name: SNI and the certificate's DNS name", "[redis][tls]") {
    redis_server redis({}, redis_server::tls_options{.auth_clients = false});
    const std::string url = "rediss://localhost:" + std::to_string(redis.port());
    relay r(tls_config(url, "{ca: \"" + redis.pki().file("ca.pem") + "\"}"));
    REQUIRE(wait_until([&] { return healthy(r); }));
    CHECK(redis_cli(redis).command({"PUBLISH", "in", "by-name"}) == "1");
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")) == std::vector<std::string>{"by-name"}; }));
}

TEST_CASE("no client certificate where Redis requires one: a health problem, retried until it is accepted",
          "[redis][tls]") {
    redis_server redis({}, redis_server::tls_options{.auth_clients = true});
    relay r(tls_config(redis.url(), "{ca: \"" + redis.pki().file("ca.pem") + "\"}"));
    // TLS 1.3: Redis refuses the certificate after the handshake, with an alert.
    const std::string body = problems_saying(r, "TLS error: tlsv13 alert certificate required");
    CHECK_THAT(body, Catch::Contains(down_problem("subscriber", redis.url())));
    CHECK_THAT(body, Catch::Contains(down_problem("publisher", redis.url())));
    CHECK(http_get(r.port(), "/_health/?full").status == 500);
    CHECK(http_get(r.port(), "/_health/").status == 200);  // alive all along
    // It keeps trying: once Redis stops requiring a certificate, it connects without a restart.
    CHECK(redis_cli(redis).command({"CONFIG", "SET", "tls-auth-clients", "no"}) == "OK");
    REQUIRE(wait_until([&] { return healthy(r); }, 15s));
    const std::string log = r.process().err();
    for (const std::string role : {"subscriber", "publisher"}) {
        const auto counts = outage_counts(log, role + " cannot connect to " + redis.url());
        REQUIRE_FALSE(counts.empty());
        CHECK(counts.front() == 1);
        for (auto n : counts) CHECK(logged_occurrence(n));
    }
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

TEST_CASE("a client certificate from a CA Redis does not trust: Redis's alert is the problem", "[redis][tls]") {
    redis_server redis({}, redis_server::tls_options{.auth_clients = true});
    const auto& pki = redis.pki();
    relay r(tls_config(redis.url(), "{ca: \"" + pki.file("ca.pem") + "\", cert: \"" + pki.file("other-client.pem") +
                                        "\", key: \"" + pki.file("other-client.key") + "\"}"));
    const std::string body = problems_saying(r, "TLS error: tlsv1 alert unknown ca");
    CHECK_THAT(body, Catch::Contains(down_problem("publisher", redis.url())));
}

TEST_CASE("a CA that did not sign Redis's certificate: certificate verify failed", "[redis][tls]") {
    redis_server redis({}, redis_server::tls_options{.auth_clients = true});
    relay r(tls_config(redis.url(), client_tls(redis.pki(), "other-ca.pem")));
    const std::string body = problems_saying(r, "TLS handshake failed: certificate verify failed");
    CHECK_THAT(body, Catch::Contains(down_problem("subscriber", redis.url())));
    // Redis sends its chain, the CA included: one that nothing here trusts.
    CHECK_THAT(body, Catch::Contains(
                         "certificate verify failed (SSL routines): self-signed certificate in certificate chain"));
    REQUIRE(r.process().wait_for_err("error [endpoint/bus] subscriber cannot connect to " + redis.url() +
                                     ": TLS handshake failed: certificate verify failed"));
    CHECK(r.process().running());
}

TEST_CASE("rediss:// without a tls block verifies Redis against the system's trust store", "[redis][tls]") {
    redis_server redis({}, redis_server::tls_options{.auth_clients = false});
    relay r(tls_config(redis.url(), ""));
    // The test CA is in no system store.
    const std::string body = problems_saying(r, "TLS handshake failed: certificate verify failed");
    CHECK_THAT(body, Catch::Contains("self-signed certificate in certificate chain"));
}

TEST_CASE("a certificate for another host is refused, naming the mismatch", "[redis][tls]") {
    // client.pem is valid for client-a.example only, not for 127.0.0.1.
    redis_server redis({}, redis_server::tls_options{.auth_clients = false, .cert = "client"});
    relay r(tls_config(redis.url(), "{ca: \"" + redis.pki().file("ca.pem") + "\"}"));
    const std::string body = problems_saying(r, "TLS handshake failed: certificate verify failed");
    CHECK_THAT(body, Catch::Contains("IP address mismatch"));
}

TEST_CASE("tls only with rediss://: elsewhere it stops --check with its place", "[redis][tls][config]") {
    temp_dir dir;
    auto check = [&](const std::string& url, const std::string& tls) {
        const std::string file = dir.write("araldo.yaml", R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - name: bus
      id: endpoint-redis
      url: ")" + url + R"("
      subscribe: [in]
      tls: )" + tls + "\n");
        return run_command({ARALDO_BINARY, "--check", "-c", file}, dir.path());
    };
    auto plain = check("redis://127.0.0.1:6379", "{ca: ca.pem}");
    CHECK(plain.code == 2);
    CHECK_THAT(plain.err, Catch::Contains("araldo.yaml:9:"));
    CHECK_THAT(plain.err, Catch::Contains("only used with a rediss:// URL"));
    auto unix_socket = check("unix:///run/redis.sock", "{ca: ca.pem}");
    CHECK(unix_socket.code == 2);
    CHECK_THAT(unix_socket.err, Catch::Contains("araldo.yaml:9:"));
    // A certificate needs its key: the SDK's block says so at the option.
    auto no_key = check("rediss://127.0.0.1:6379", "{cert: client.pem}");
    CHECK(no_key.code == 2);
    CHECK_THAT(no_key.err, Catch::Contains("araldo.yaml:9:"));
    CHECK_THAT(no_key.err, Catch::Contains("needs key"));
    // --check reads no file: these do not exist, and that is start()'s business.
    auto missing = check("rediss://127.0.0.1:6379", "{ca: nowhere/ca.pem, cert: nowhere/c.pem, key: nowhere/c.key}");
    CHECK(missing.code == 0);
}

TEST_CASE("a CA file that cannot be read refuses the start, naming it", "[redis][tls]") {
    relay r(tls_config("rediss://127.0.0.1:1", "{ca: \"{DIR}/missing-ca.pem\"}"), {.wait_listening = false});
    REQUIRE(r.process().wait(10s) == 1);
    CHECK_THAT(r.process().err(), Catch::Contains("endpoint bus cannot start"));
    CHECK_THAT(r.process().err(), Catch::Contains("missing-ca.pem"));
}
