// https: the certificate is verified (here against ca-file, a throwaway CA
// made with the openssl command), and an untrusted one is refused.
#include "fixture.hpp"

#include <catch2/catch.hpp>

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
