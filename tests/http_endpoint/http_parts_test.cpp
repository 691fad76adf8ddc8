// endpoint-http's sans-I/O parts: base64, credentials, Standard Webhooks
// signatures, content types and form bodies. No sockets.
#include "base64.hpp"
#include "http_auth.hpp"
#include "http_body.hpp"
#include "webhook_signature.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace araldo::plugins::endpoint_http;
using namespace std::chrono_literals;

TEST_CASE("base64 encodes and strictly decodes RFC 4648 text", "[http_endpoint][unit]") {
    const std::vector<std::pair<std::string, std::string>> vectors{
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"}, {std::string("\xff\xfe\x00", 3), "//4A"}};
    for (const auto& [raw, text] : vectors) {
        CHECK(base64_encode(raw) == text);
        CHECK(base64_decode(text) == raw);
    }
    for (const char* bad : {"Zg=", "Zg", "Z===", "Zm9v!", "Zg==Zg==", "=Zg=", "Zm 9v"}) {
        INFO(bad);
        CHECK_FALSE(base64_decode(bad));
    }
}

TEST_CASE("credentials: bearer and basic, case-insensitive schemes", "[http_endpoint][unit]") {
    credential_check open({}, {});
    CHECK_FALSE(open.required());
    CHECK(open.check(std::nullopt).empty());

    credential_check both({"t0k3n", "second"}, {"sender:s3cret"});
    CHECK(both.required());
    CHECK(both.check("Bearer t0k3n").empty());
    CHECK(both.check("bearer   second ").empty());
    CHECK(both.check("Basic " + base64_encode("sender:s3cret")).empty());
    CHECK(both.check(std::nullopt) == "credentials required");
    CHECK(both.check("Bearer") == "invalid bearer token");
    CHECK(both.check("Bearer t0k3n2") == "invalid bearer token");
    CHECK(both.check("Basic " + base64_encode("sender:s3cre")) == "invalid user or password");
    CHECK(both.check("Basic " + base64_encode("sender")) == "invalid user or password");
    CHECK(both.check("Basic %%%") == "malformed basic credentials");
    CHECK(both.check("Token t0k3n") == "unsupported authorization scheme");
    CHECK(both.challenges().size() == 2);

    credential_check tokens_only({"t"}, {});
    CHECK(tokens_only.check("Basic " + base64_encode("a:b")) == "basic authentication is not accepted here");
    CHECK(tokens_only.challenges() == std::vector<std::string>{"Bearer realm=\"araldo\""});
}

TEST_CASE("Standard Webhooks: the specification's test vector and its failures", "[http_endpoint][unit]") {
    // From the Standard Webhooks reference libraries' tests.
    const std::string key = *base64_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    const std::string id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const std::string body = R"({"test": 2432232314})";
    const std::string signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    CHECK(webhook_verifier::sign(key, id, "1614265330", body) == signature);

    const auto sent = std::chrono::system_clock::time_point{std::chrono::seconds{1614265330}};
    webhook_verifier v({"another key", key}, 5min);
    webhook_headers h{id, "1614265330", signature};
    CHECK(v.verify(h, body, sent).empty());
    CHECK(v.verify(h, body, sent + 5min).empty());
    CHECK(v.verify(h, body, sent - 5min).empty());
    CHECK(v.verify(h, body, sent + 5min + 1s) == "webhook-timestamp too old");
    CHECK(v.verify(h, body, sent - 5min - 1s) == "webhook-timestamp too far in the future");
    CHECK(v.verify(h, body + " ", sent) == "invalid signature");

    // webhook_headers views its strings: keep them alive.
    const std::string rotated = "v1a,xyz v1,AAAA  " + signature + " v2,abc";
    webhook_headers several{id, "1614265330", rotated};
    CHECK(v.verify(several, body, sent).empty());
    webhook_headers other_id{"msg_other", "1614265330", signature};
    CHECK(v.verify(other_id, body, sent) == "invalid signature");
    webhook_headers no_v1{id, "1614265330", "v1a,xyz"};
    CHECK(v.verify(no_v1, body, sent) == "no v1 signature in webhook-signature");
    webhook_headers bad_ts{id, "16142653x0", signature};
    CHECK(v.verify(bad_ts, body, sent) == "invalid webhook-timestamp");
    CHECK(v.verify(webhook_headers{std::nullopt, "1", signature}, body, sent) == "missing webhook-id header");
    CHECK(v.verify(webhook_headers{id, std::nullopt, signature}, body, sent) == "missing webhook-timestamp header");
    CHECK(v.verify(webhook_headers{id, "1", std::nullopt}, body, sent) == "missing webhook-signature header");

    webhook_verifier off({}, 5min);
    CHECK_FALSE(off.enabled());
    CHECK(off.verify(webhook_headers{}, body, sent).empty());
}

TEST_CASE("content types and form bodies", "[http_endpoint][unit]") {
    CHECK(classify("application/json") == body_kind::json);
    CHECK(classify(" Application/JSON ; charset=utf-8") == body_kind::json);
    CHECK(classify("application/cloudevents+json") == body_kind::json);
    CHECK(classify("application/x-www-form-urlencoded") == body_kind::form);
    CHECK(classify("text/json") == body_kind::unsupported);
    CHECK(classify("multipart/form-data; boundary=x") == body_kind::unsupported);
    CHECK(classify(std::nullopt) == body_kind::unsupported);

    CHECK(form_decode("a+b%20c%2B%3d") == "a b c+=");
    CHECK_FALSE(form_decode("%"));
    CHECK_FALSE(form_decode("%4"));
    CHECK_FALSE(form_decode("%zz"));

    auto first = form_field("x=1&payload=%7B%7D&payload=2", "payload");
    CHECK(first);
    CHECK(first.payload == "{}");
    CHECK(form_field("payload", "payload").payload.empty());
    CHECK(form_field("payload=", "payload"));
    auto missing = form_field("x=1", "payload");
    CHECK(missing.status == 400);
    CHECK(missing.reason == "form body has no payload field");
    CHECK(form_field("x%=1&payload=1", "payload").status == 400);

    auto json = extract_payload("application/json", "{\"a\":1}");
    CHECK(json.payload == "{\"a\":1}");
    auto plain = extract_payload("text/plain", "x");
    CHECK(plain.status == 415);
    CHECK(plain.reason == "unsupported Content-Type text/plain: use application/json or application/x-www-form-urlencoded");
    CHECK(extract_payload(std::nullopt, "x").status == 415);
}
