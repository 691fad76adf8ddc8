// The SDK's HMAC-SHA256 and Standard Webhooks helpers, against published
// vectors (RFC 4231, the Standard Webhooks specification).
#include <araldo/encoding.hpp>
#include <araldo/signing.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace araldo;
using namespace std::chrono_literals;

namespace {

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

const std::string spec_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string spec_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const std::string spec_timestamp = "1614265330";
const std::string spec_body = R"({"test": 2432232314})";
const std::string spec_signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

}  // namespace

TEST_CASE("hmac_sha256 matches RFC 4231", "[sdk][signing]") {
    // Test case 2: a short key.
    CHECK(hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 1: 20 bytes of 0x0b.
    CHECK(hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    CHECK(hmac_sha256("", "").size() == 32);
}

TEST_CASE("whsec_ secrets: the prefix, strict base64, a key", "[sdk][signing]") {
    CHECK(parse_webhook_secret(spec_secret) == base64_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    CHECK(parse_webhook_secret("whsec_dGhpcyBpcyBhIHNlY29uZCB0ZXN0IHNlY3JldA==") == "this is a second test secret");
    CHECK_FALSE(parse_webhook_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    CHECK_FALSE(parse_webhook_secret("whsec_"));
    CHECK_FALSE(parse_webhook_secret("whsec_not base64!"));
    CHECK_FALSE(parse_webhook_secret("whsec_abc"));
    CHECK_FALSE(parse_webhook_secret("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
}

TEST_CASE("Standard Webhooks: the specification's signature, one per key", "[sdk][signing]") {
    const std::string key = *parse_webhook_secret(spec_secret);
    CHECK(standard_webhook_signature(key, spec_id, spec_timestamp, spec_body) == spec_signature);
    CHECK(standard_webhook_header({key}, spec_id, spec_timestamp, spec_body) == spec_signature);
    CHECK(standard_webhook_header({}, spec_id, spec_timestamp, spec_body).empty());
    const std::string other = "another key";
    CHECK(standard_webhook_header({other, key}, spec_id, spec_timestamp, spec_body) ==
          standard_webhook_signature(other, spec_id, spec_timestamp, spec_body) + " " + spec_signature);
}

TEST_CASE("Standard Webhooks: verification and its failures", "[sdk][signing]") {
    const std::string key = *parse_webhook_secret(spec_secret);
    const std::vector<std::string> keys{"another key", key};
    const auto sent = std::chrono::system_clock::time_point{std::chrono::seconds{1614265330}};
    auto verify = [&](std::optional<std::string_view> id, std::optional<std::string_view> ts, std::string_view body,
                      std::optional<std::string_view> sig, std::chrono::system_clock::time_point now) {
        return std::string{verify_standard_webhook(keys, id, ts, body, sig, now, 5min).reason()};
    };
    const auto ok = verify_standard_webhook(keys, spec_id, spec_timestamp, spec_body, spec_signature, sent, 5min);
    CHECK(ok.ok());
    CHECK(ok.reason().empty());
    CHECK(verify(spec_id, spec_timestamp, spec_body, spec_signature, sent + 5min).empty());
    CHECK(verify(spec_id, spec_timestamp, spec_body, spec_signature, sent - 5min).empty());
    CHECK(verify(spec_id, spec_timestamp, spec_body, spec_signature, sent + 5min + 1s) == "webhook-timestamp too old");
    CHECK(verify(spec_id, spec_timestamp, spec_body, spec_signature, sent - 5min - 1s) ==
          "webhook-timestamp too far in the future");
    CHECK(verify(spec_id, spec_timestamp, spec_body + " ", spec_signature, sent) == "invalid signature");

    const std::string rotated = "v1a,xyz v1,AAAA  " + spec_signature + " v2,abc";
    CHECK(verify(spec_id, spec_timestamp, spec_body, rotated, sent).empty());
    CHECK(verify("msg_other", spec_timestamp, spec_body, spec_signature, sent) == "invalid signature");
    CHECK(verify(spec_id, spec_timestamp, spec_body, "v1a,xyz", sent) == "no v1 signature in webhook-signature");
    CHECK(verify(spec_id, "16142653x0", spec_body, spec_signature, sent) == "invalid webhook-timestamp");
    CHECK(verify(spec_id, "-1", spec_body, spec_signature, sent) == "invalid webhook-timestamp");
    CHECK(verify(spec_id, "1234567890123", spec_body, spec_signature, sent) == "invalid webhook-timestamp");
    CHECK(verify(std::nullopt, "1", spec_body, spec_signature, sent) == "missing webhook-id header");
    CHECK(verify("", "1", spec_body, spec_signature, sent) == "missing webhook-id header");
    CHECK(verify(spec_id, std::nullopt, spec_body, spec_signature, sent) == "missing webhook-timestamp header");
    CHECK(verify(spec_id, "1", spec_body, std::nullopt, sent) == "missing webhook-signature header");

    const auto keyless = verify_standard_webhook({}, spec_id, spec_timestamp, spec_body, spec_signature, sent, 5min);
    CHECK(keyless.failure == webhook_failure::no_match);
}
