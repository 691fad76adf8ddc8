// https: the receiver's certificate is verified (against ca-file or tls.ca,
// throwaway CAs made with the openssl command) and an untrusted one is
// refused; with tls: {cert, key} the endpoint presents a client certificate
// to a receiver that requires one (mutual TLS).
#include "fixture.hpp"
#include "support/test_pki.hpp"

#include <catch2/catch.hpp>

#include <regex>

using namespace araldo::test;
using namespace araldo::test::webhook;

namespace {

// A self-signed certificate for 127.0.0.1 (it is its own CA).
receiver::tls_files make_certificate(const temp_dir& dir) {
    receiver::tls_files f{dir / "cert.pem", dir / "key.pem"};
    auto res =
        run_command({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f.key, "-out",
                     f.cert, "-days", "1", "-subj", "/CN=araldo-test", "-addext", "subjectAltName=IP:127.0.0.1"},
                    dir.path());
    REQUIRE(res.code == 0);
    return f;
}

// A receiver that serves server-a and requires a client certificate from the test CA.
receiver::tls_files mutual(const test_pki& pki) {
    return {pki.file("server.pem"), pki.file("server.key"), pki.file("ca.pem")};
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// `araldo --check` on one webhook endpoint written with `opts`.
run_result check(const temp_dir& dir, const std::string& opts) {
    std::string cfg = dir.write("araldo.yaml", config({{"hook", opts}}, dir.path()));
    return run_command({ARALDO_BINARY, "--check", "-c", cfg}, dir.path());
}

}  // namespace

TEST_CASE("https deliveries verify the receiver's certificate", "[webhook][tls]") {
    temp_dir certs;
    auto files = make_certificate(certs);
    receiver rx({secret_a}, files);
    relay r = start(config({
        {"trusted", "{url: \"" + rx.url() + "\", secret: \"" + secret_a + "\", ca-file: \"" + files.cert + "\"}"},
        {"untrusted", "{url: \"" + rx.url("/untrusted") + "\", retry-schedule: [0s]}"},
    }));
    r.process().write_stdin("{\"secure\":true}\n");
    REQUIRE(rx.wait_for(1));
    auto q = rx.requests()[0];
    CHECK(q.target == "/hook");
    CHECK(q.body == "{\"secure\":true}");
    CHECK(q.signature_valid);
    // Not in the system store: the handshake fails, the one attempt is spent, a dead letter.
    REQUIRE(wait_until([&] { return dead_letters(r, "untrusted").size() == 1; }));
    std::string error(dead_letters(r, "untrusted")[0].at("last_error").as_string());
    CHECK_THAT(error, Catch::Contains("certificate verify failed"));
    CHECK(rx.count() == 1);
}

TEST_CASE("mutual TLS: a receiver that requires a client certificate gets one, and refuses an endpoint without",
          "[webhook][tls]") {
    temp_dir dir;
    auto pki = make_test_pki(dir.path());
    receiver rx({secret_a}, mutual(pki));
    const std::string client = "cert: " + quoted(pki.file("client.pem")) + ", key: " + quoted(pki.file("client.key"));
    relay r = start(config({
        {"mutual", "{url: \"" + rx.url("/mutual") + "\", secret: \"" + secret_a +
                       "\", tls: {ca: " + quoted(pki.file("ca.pem")) + ", " + client + "}}"},
        // ca-file is tls.ca by its older name, and combines with a cert from tls.
        {"alias",
         "{url: \"" + rx.url("/alias") + "\", ca-file: " + quoted(pki.file("ca.pem")) + ", tls: {" + client + "}}"},
        {"anonymous", "{url: \"" + rx.url("/anonymous") + "\", tls: {ca: " + quoted(pki.file("ca.pem")) +
                          "}, retry-schedule: [0s]}"},
    }));
    r.process().write_stdin("{\"mutual\":true}\n");
    REQUIRE(rx.wait_for(2));
    // The anonymous endpoint's one attempt fails: the receiver ends the handshake.
    REQUIRE(wait_until([&] { return dead_letters(r, "anonymous").size() == 1; }));
    auto letter = dead_letters(r, "anonymous")[0].as_object();
    std::string error(letter.at("last_error").as_string());
    INFO(error);
    CHECK(std::regex_search(error, std::regex("certificate required|handshake failure", std::regex::icase)));
    CHECK(letter.at("attempts").as_int64() == 1);

    std::map<std::string, std::string> cn_by_target;
    for (const auto& q : rx.requests()) cn_by_target[q.target] = q.peer_cn;
    CHECK(cn_by_target == std::map<std::string, std::string>{{"/alias", "client-a"}, {"/mutual", "client-a"}});
    for (const auto& q : rx.requests()) {
        CHECK(q.body == "{\"mutual\":true}");
        if (q.target == "/mutual") CHECK(q.signature_valid);
    }
    CHECK_FALSE(rx.handshake_errors().empty());
}

TEST_CASE("tls blocks that cannot work stop a check with file:line:col, and a check reads no file",
          "[webhook][tls][config]") {
    temp_dir dir;
    auto pki = make_test_pki(dir.path());
    const std::string ca = quoted(pki.file("ca.pem"));
    auto refused = [&](const std::string& opts, const std::string& why) {
        auto res = check(dir, opts);
        INFO(opts << "\n" << res.err);
        CHECK(res.code == 2);
        CHECK_THAT(res.err, Catch::Contains(why));
        CHECK(std::regex_search(res.err, std::regex(R"(araldo\.yaml:8:\d+: )")));
    };
    refused("{url: \"https://127.0.0.1:9/\", tls: {cert: " + quoted(pki.file("client.pem")) + "}}", "needs key");
    refused("{url: \"https://127.0.0.1:9/\", tls: {key: " + quoted(pki.file("client.key")) + "}}", "needs cert");
    refused("{url: \"https://127.0.0.1:9/\", ca-file: " + ca + ", tls: {ca: " + ca +
                ", cert: " + quoted(pki.file("client.pem")) + ", key: " + quoted(pki.file("client.key")) + "}}",
            "is tls.ca by another name");
    refused("{url: \"http://127.0.0.1:9/\", tls: {ca: " + ca + "}}", "only applies to an https:// url");
    refused("{url: \"http://127.0.0.1:9/\", ca-file: " + ca + "}", "only applies to an https:// url");
    refused("{url: \"https://127.0.0.1:9/\", tls: {ca: " + ca + ", crt: x}}", "did you mean 'cert'?");

    // A check reads no certificate: files that do not exist yet pass.
    auto missing = check(dir,
                         "{url: \"https://127.0.0.1:9/\", tls: {ca: /nonexistent/ca.pem, cert: "
                         "/nonexistent/c.pem, key: /nonexistent/c.key}}");
    INFO(missing.err);
    CHECK(missing.code == 0);
}

TEST_CASE("a certificate that cannot be loaded refuses the start, naming the file and why", "[webhook][tls]") {
    temp_dir dir, elsewhere;
    auto pki = make_test_pki(dir.path());
    write_file(dir / "empty.pem", "");
    struct bad {
        std::string tls;
        std::string expect;
    };
    const std::vector<bad> cases{
        // Relative paths are the config folder's, whatever the working directory.
        {"{ca: missing-ca.pem}", "cannot load CA file " + (dir / "missing-ca.pem")},
        {"{cert: empty.pem, key: client.key}", "cannot load certificate " + (dir / "empty.pem")},
        {"{cert: client.pem, key: client-b.key}", "cannot load key " + (dir / "client-b.key") + ": "},
    };
    for (const auto& c : cases) {
        INFO(c.tls);
        std::string cfg = dir.write(
            "araldo.yaml", config({{"hook", "{url: \"https://127.0.0.1:9/\", tls: " + c.tls + "}"}}, dir / "data"));
        child_process relay({.argv = {ARALDO_BINARY, "-c", cfg},
                             .env = {},
                             .work_dir = elsewhere.path(),
                             .output_dir = elsewhere.path()});
        CHECK(relay.wait(std::chrono::seconds(30)) == 1);
        CHECK_THAT(relay.err(), Catch::Contains("endpoint hook cannot start: " + c.expect));
    }
}
