// The opening handshake and authentication, decided on plain requests.
#include "ws_auth.hpp"
#include "ws_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <catch2/catch.hpp>

#include <string>

using namespace araldo::plugins::endpoint_websocket;
using araldo::http_request;

namespace {

std::string b64url(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
    return out;
}

std::string make_jwt(const std::string& header, const std::string& claims, const std::string& secret) {
    const std::string body = b64url(header) + "." + b64url(claims);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
    return body + "." + b64url({reinterpret_cast<const char*>(mac), len});
}

const std::string hs256 = R"({"alg":"HS256","typ":"JWT"})";
const auto now = wall_clock::time_point{std::chrono::seconds{1'800'000'000}};

http_request upgrade_request() {
    http_request r;
    r.method = "GET";
    r.path = "/ws";
    r.headers = {
        {"host", "127.0.0.1:8080"}, {"sec-websocket-version", "13"}, {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}};
    return r;
}

}  // namespace

TEST_CASE("Sec-WebSocket-Accept is computed as RFC 6455 shows", "[ws][handshake]") {
    CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK_FALSE(accept_key("short"));
    CHECK_FALSE(accept_key("not base64 at all!!!!!=="));
    const auto response = switching_protocols("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK(response.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    CHECK(response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
    CHECK(response.ends_with("\r\n\r\n"));
    CHECK(response.find("Sec-WebSocket-Extensions") == std::string::npos);  // no permessage-deflate
}

TEST_CASE("handshake requests are checked for version and key", "[ws][handshake]") {
    auto r = upgrade_request();
    CHECK_FALSE(check_handshake(r));
    r.headers[1].second = "8";
    REQUIRE(check_handshake(r));
    CHECK(check_handshake(r)->status == 426);
    CHECK(check_handshake(r)->headers ==
          std::vector<std::pair<std::string, std::string>>{{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}});
    r = upgrade_request();
    r.headers[2].second = "abc";
    REQUIRE(check_handshake(r));
    CHECK(check_handshake(r)->status == 400);
}

TEST_CASE("origins: listed, any, or the listener's own", "[ws][handshake]") {
    auto r = upgrade_request();
    CHECK(origin_allowed(r, {}));  // no Origin: not a browser
    r.headers.emplace_back("origin", "http://127.0.0.1:8080");
    CHECK(origin_allowed(r, {}));
    CHECK(origin_allowed(r, {"*"}));
    CHECK(origin_allowed(r, {"https://other.example", "http://127.0.0.1:8080"}));
    CHECK_FALSE(origin_allowed(r, {"https://other.example"}));
    r.headers.back().second = "http://evil.example:8080";
    CHECK_FALSE(origin_allowed(r, {}));
    r.headers.back().second = "null";
    CHECK_FALSE(origin_allowed(r, {}));
    r.headers[0].second = "example.com";
    r.headers.back().second = "https://example.com";
    CHECK(origin_allowed(r, {}));  // behind a TLS proxy: the Host has no port, https implies 443
    r.headers[0].second = "example.com:8443";
    CHECK_FALSE(origin_allowed(r, {}));
}

TEST_CASE("HS256 JWTs: signature, exp, nbf; other algorithms refused", "[ws][auth]") {
    const std::string secret = "s3cret";
    const auto valid = verify_jwt(make_jwt(hs256, R"({"sub":"alice","exp":1800000060})", secret), secret, now);
    REQUIRE(valid);
    CHECK(valid.value().subject == "alice");
    REQUIRE(valid.value().expires);
    CHECK(*valid.value().expires == now + std::chrono::seconds{60});
    CHECK(verify_jwt(make_jwt(hs256, R"({})", secret), secret, now));                           // no exp: never expires
    const auto distant = verify_jwt(make_jwt(hs256, R"({"exp":1e300})", secret), secret, now);  // no overflow
    REQUIRE(distant);
    CHECK(*distant.value().expires > now + std::chrono::hours(24 * 365 * 100));

    CHECK(verify_jwt(make_jwt(hs256, R"({"exp":1800000000})", secret), secret, now).reason() == "JWT expired");
    CHECK(verify_jwt(make_jwt(hs256, R"({"nbf":1800000001})", secret), secret, now).reason() == "JWT not valid yet");
    CHECK(verify_jwt(make_jwt(hs256, R"({"exp":"soon"})", secret), secret, now).reason() ==
          "JWT exp or nbf is not a number");
    CHECK(verify_jwt(make_jwt(hs256, R"({})", "other key"), secret, now).reason() == "JWT signature does not match");
    CHECK_FALSE(verify_jwt(make_jwt(R"({"alg":"HS512"})", R"({})", secret), secret, now));
    const std::string none = b64url(R"({"alg":"none"})") + "." + b64url(R"({"sub":"mallory"})") + ".";
    CHECK(verify_jwt(none, secret, now).reason() == "JWT algorithm must be HS256");
    // A payload swapped under a valid signature.
    auto token = make_jwt(hs256, R"({"sub":"alice"})", secret);
    const auto d1 = token.find('.');
    const auto d2 = token.find('.', d1 + 1);
    token.replace(d1 + 1, d2 - d1 - 1, b64url(R"({"sub":"admin"})"));
    CHECK_FALSE(verify_jwt(token, secret, now));
    CHECK_FALSE(verify_jwt("a.b", secret, now));
    CHECK_FALSE(verify_jwt("a.b.c.d", secret, now));
    CHECK_FALSE(verify_jwt("!!.??.**", secret, now));
}

TEST_CASE("tokens come from the Authorization header or ?token=", "[ws][auth]") {
    auto r = upgrade_request();
    CHECK(authenticate(r, {"t1"}, "", now).reason() == "missing token");
    r.query = "token=t1";
    CHECK(authenticate(r, {"t0", "t1"}, "", now));
    CHECK(authenticate(r, {"t2"}, "", now).reason() == "invalid token");
    r.query.clear();
    r.headers.emplace_back("authorization", "Bearer t2");
    CHECK(authenticate(r, {"t2"}, "", now));
    // With both configured, a JWT is accepted too.
    r.headers.back().second = "Bearer " + make_jwt(hs256, R"({"sub":"bob"})", "k");
    const auto a = authenticate(r, {"t2"}, "k", now);
    REQUIRE(a);
    CHECK(a.value().subject == "bob");
}

namespace {

// A request as a TLS listener hands it over: the peer only when a client
// certificate verified.
http_request over_tls(std::optional<araldo::tls_peer> peer) {
    auto r = upgrade_request();
    auto info = std::make_shared<araldo::tls_info>();
    info->version = "TLSv1.3";
    info->peer = std::move(peer);
    r.tls = std::move(info);
    return r;
}

const araldo::tls_peer client_a{"client-a", {"client-a.example", "spiffe://araldo.test/client-a"}};

}  // namespace

TEST_CASE("client-certs: a verified certificate named by its CN or a SAN name", "[ws][auth]") {
    const std::vector<std::string> none;
    CHECK(authenticate(over_tls(client_a), none, "", {"client-a"}, now));
    CHECK(authenticate(over_tls(client_a), none, "", {"other", "client-a.example"}, now));
    CHECK(authenticate(over_tls(client_a), none, "", {"spiffe://araldo.test/client-a"}, now));
    CHECK(authenticate(over_tls(client_a), none, "", {"client-b"}, now).reason() ==
          "client certificate client-a is not allowed");
    CHECK(authenticate(over_tls(std::nullopt), none, "", {"client-a"}, now).reason() ==
          "a client certificate is required");
    CHECK(authenticate(upgrade_request(), none, "", {"client-a"}, now).reason() == "a client certificate is required");
    // A name is matched whole: no prefix, no case folding, and an empty CN matches nothing.
    CHECK_FALSE(authenticate(over_tls(client_a), none, "", {"client"}, now));
    CHECK_FALSE(authenticate(over_tls(client_a), none, "", {"CLIENT-A"}, now));
    const araldo::tls_peer unnamed{"", {"only-san.example"}};
    CHECK(authenticate(over_tls(unnamed), none, "", {"only-san.example"}, now));
    CHECK(authenticate(over_tls(unnamed), none, "", {"x"}, now).reason() ==
          "client certificate only-san.example is not allowed");
}

TEST_CASE("client-certs with tokens or a JWT: any one credential is enough", "[ws][auth]") {
    const std::vector<std::string> tokens{"t1"};
    const std::vector<std::string> certs{"client-a"};
    CHECK(authenticate(over_tls(client_a), tokens, "k", certs, now));
    auto r = over_tls(std::nullopt);
    CHECK(authenticate(r, tokens, "k", certs, now).reason() == "missing token or client certificate");
    r.query = "token=t1";
    CHECK(authenticate(r, tokens, "k", certs, now));
    r.query = "token=wrong";
    CHECK_FALSE(authenticate(r, tokens, "", certs, now));
    r.query = "token=" + make_jwt(hs256, R"({"sub":"carol"})", "k");
    const auto a = authenticate(r, tokens, "k", certs, now);
    REQUIRE(a);
    CHECK(a.value().subject == "carol");
    // A certificate not listed and no token: the refusal names the certificate.
    const araldo::tls_peer client_b{"client-b", {}};
    CHECK(authenticate(over_tls(client_b), tokens, "k", certs, now).reason() ==
          "client certificate client-b is not allowed");
    // Without client-certs configured, a certificate is no credential.
    CHECK(authenticate(over_tls(client_a), tokens, "", {}, now).reason() == "missing token");
}
