// endpoint-http's sans-I/O parts: credentials (client certificates among
// them, as hand-made tls_info), content types and form bodies.
// No sockets. Base64, percent-decoding and Standard Webhooks signatures are
// the SDK's: tests/unit/encoding_test.cpp and signing_test.cpp.
#include "http_auth.hpp"
#include "http_body.hpp"

#include <araldo/encoding.hpp>
#include <araldo/keys.hpp>

#include <catch2/catch.hpp>

using namespace araldo::plugins::endpoint_http;
using araldo::base64_encode;

TEST_CASE("credentials: bearer and basic, case-insensitive schemes", "[http_endpoint][unit]") {
    credential_check open({}, {});
    CHECK_FALSE(open.required());
    CHECK(open.check(std::nullopt));

    credential_check both({"t0k3n", "second"}, {"sender:s3cret"});
    CHECK(both.required());
    CHECK(both.check("Bearer t0k3n"));
    CHECK(both.check("bearer   second "));
    CHECK(both.check("Basic " + base64_encode("sender:s3cret")));
    CHECK(both.check(std::nullopt).reason() == "credentials required");
    CHECK(both.check("Bearer").reason() == "invalid bearer token");
    CHECK(both.check("Bearer t0k3n2").reason() == "invalid bearer token");
    CHECK(both.check("Basic " + base64_encode("sender:s3cre")).reason() == "invalid user or password");
    CHECK(both.check("Basic " + base64_encode("sender")).reason() == "invalid user or password");
    CHECK(both.check("Basic %%%").reason() == "malformed basic credentials");
    CHECK(both.check("Token t0k3n").reason() == "unsupported authorization scheme");
    CHECK(both.challenges().size() == 2);

    credential_check tokens_only({"t"}, {});
    CHECK(tokens_only.check("Basic " + base64_encode("a:b")).reason() == "basic authentication is not accepted here");
    CHECK(tokens_only.challenges() == std::vector<std::string>{"Bearer realm=\"araldo\""});
}

namespace {

araldo::tls_info verified(std::string cn, std::vector<std::string> san = {}) {
    araldo::tls_info info;
    info.version = "TLSv1.3";
    info.peer = araldo::tls_peer{std::move(cn), std::move(san)};
    return info;
}

}  // namespace

TEST_CASE("credentials: a verified client certificate whose CN or a SAN name is listed", "[http_endpoint][unit]") {
    credential_check certs({}, {}, {"client-a", "spiffe://araldo.test/sender"});
    CHECK(certs.required());
    CHECK(certs.challenges().empty());  // HTTP has no challenge for a client certificate
    const auto a = verified("client-a", {"client-a.example"});
    CHECK(certs.check(std::nullopt, &a));
    const auto by_san = verified("whoever", {"whoever.example", "spiffe://araldo.test/sender"});
    CHECK(certs.check(std::nullopt, &by_san));
    // Matched exactly: no case folding, no prefixes.
    const auto upper = verified("Client-A");
    CHECK(certs.check(std::nullopt, &upper).reason() == "client certificate CN=Client-A is not accepted here");
    const auto b = verified("client-b", {"spiffe://araldo.test/sender/x"});
    CHECK(certs.check(std::nullopt, &b).reason() == "client certificate CN=client-b is not accepted here");
    const auto no_cn = verified("", {"other.example"});
    CHECK(certs.check(std::nullopt, &no_cn).reason() == "client certificate without a CN is not accepted here");
    araldo::tls_info anonymous;
    CHECK(certs.check(std::nullopt, &anonymous).reason() == "client certificate required");
    CHECK(certs.check(std::nullopt, nullptr).reason() ==
          "client certificate required (the request did not come over TLS)");
    // Only certificates are accepted: a header does not help, and the reason stays about the certificate.
    CHECK(certs.check("Bearer client-a", nullptr).reason() ==
          "client certificate required (the request did not come over TLS)");
}

TEST_CASE("credentials: any one of a token and a client certificate lets a request in", "[http_endpoint][unit]") {
    credential_check either({"t0k3n"}, {}, {"client-a"});
    const auto a = verified("client-a");
    const auto b = verified("client-b");
    CHECK(either.check(std::nullopt, &a));
    CHECK(either.check("Bearer t0k3n", nullptr));
    CHECK(either.check("Bearer t0k3n", &b));
    CHECK(either.check("Bearer wrong", &a));
    // Refused: the reason is about the header when one was sent, else about the certificate.
    CHECK(either.check("Bearer wrong", &b).reason() == "invalid bearer token");
    CHECK(either.check("Basic eDp5", nullptr).reason() == "basic authentication is not accepted here");
    CHECK(either.check(std::nullopt, &b).reason() == "client certificate CN=client-b is not accepted here");
    CHECK(either.check(std::nullopt, nullptr).reason() ==
          "client certificate required (the request did not come over TLS)");
    CHECK(either.challenges() == std::vector<std::string>{"Bearer realm=\"araldo\""});
}

TEST_CASE("credentials: a key of the keys file lets a request in as its identity", "[http_endpoint][unit]") {
    const std::string pi7 = "ak_key-of-pi-7-0123456789", old_key = "ak_revoked-key-0123456789";
    auto store = araldo::key_store::parse("keys:\n  - {key: " + pi7 + ", identity: pi-7}\n  - {key: " + old_key +
                                              ", identity: pi-8, revoked: 2026-12-02T09:00:00Z}\n",
                                          "keys.yaml");
    REQUIRE(store);
    const araldo::key_store* keys = store.value().get();

    credential_check keys_only({}, {}, {}, true);
    CHECK(keys_only.required());
    const auto accepted = keys_only.check("Bearer " + pi7, nullptr, keys);
    REQUIRE(accepted);
    REQUIRE(accepted.value());
    CHECK(accepted.value()->identity.name == "pi-7");
    CHECK(keys_only.check("Bearer " + old_key, nullptr, keys).reason() == "revoked key");
    CHECK(keys_only.check("Bearer ak_unknown-key-0123456789", nullptr, keys).reason() == "invalid bearer token");
    CHECK(keys_only.check(std::nullopt, nullptr, keys).reason() == "credentials required");
    CHECK(keys_only.challenges() == std::vector<std::string>{"Bearer realm=\"araldo\""});

    // Beside other credentials: any one suffices, and only a key carries an identity.
    credential_check both({"t0k3n"}, {"sender:s3cret"}, {}, true);
    const auto token = both.check("Bearer t0k3n", nullptr, keys);
    REQUIRE(token);
    CHECK(token.value() == nullptr);
    CHECK(both.check("Basic " + base64_encode("sender:s3cret"), nullptr, keys));
    CHECK(both.check("Bearer " + pi7, nullptr, keys).value() == keys->find(pi7));
    // Without the keys (a relay not started yet), only the other credentials.
    CHECK(both.check("Bearer " + pi7, nullptr, nullptr).reason() == "invalid bearer token");
}

TEST_CASE("content types and form bodies", "[http_endpoint][unit]") {
    CHECK(classify("application/json") == body_kind::json);
    CHECK(classify(" Application/JSON ; charset=utf-8") == body_kind::json);
    CHECK(classify("application/cloudevents+json") == body_kind::json);
    CHECK(classify("application/x-www-form-urlencoded") == body_kind::form);
    CHECK(classify("text/json") == body_kind::unsupported);
    CHECK(classify("multipart/form-data; boundary=x") == body_kind::unsupported);
    CHECK(classify(std::nullopt) == body_kind::unsupported);

    auto first = form_field("x=1&payload=%7B%7D&payload=2", "payload");
    CHECK(first);
    CHECK(first.value() == "{}");
    CHECK(form_field("payload", "payload").value().empty());
    CHECK(form_field("payload=", "payload"));
    auto missing = form_field("x=1", "payload");
    CHECK_FALSE(missing);
    CHECK(missing.reason() == "form body has no payload field");
    CHECK_FALSE(form_field("x%=1&payload=1", "payload"));

    auto json = extract_payload("application/json", "{\"a\":1}");
    CHECK(json.value() == "{\"a\":1}");
    auto plain = extract_payload("text/plain", "x");
    CHECK_FALSE(plain);
    CHECK(refusal_status("text/plain") == 415);
    CHECK(refusal_status("application/json") == 400);
    CHECK(plain.reason() ==
          "unsupported Content-Type text/plain: use application/json or application/x-www-form-urlencoded");
    CHECK_FALSE(extract_payload(std::nullopt, "x"));
    CHECK(refusal_status(std::nullopt) == 415);
}
