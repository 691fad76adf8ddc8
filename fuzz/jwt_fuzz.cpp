// The JWT verifier of endpoint-websocket (ws_auth.cpp: verify_jwt), on tokens
// a client sends.
//
// A random token almost never carries a valid HS256 signature, which would
// keep the claims parser out of reach. So each input is used twice: as a
// token as it is, and as "header JSON \n claims JSON" that this target signs
// with the verifier's secret, so the verifier's checks after the signature
// (alg, exp, nbf, sub) see hostile JSON too.
#include "fuzz_check.hpp"
#include "ws_auth.hpp"

#include <araldo/encoding.hpp>
#include <araldo/signing.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ws = araldo::plugins::endpoint_websocket;

namespace {

constexpr std::string_view secret = "fuzz-secret";
const auto now = ws::wall_clock::time_point{std::chrono::seconds{1'700'000'000}};

void check(const ws::auth_result& r) {
    if (r) {
        FUZZ_CHECK(r.reason().empty());
        if (r.value().expires) FUZZ_CHECK(*r.value().expires > now);
    } else {
        FUZZ_CHECK(!r.reason().empty());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in{reinterpret_cast<const char*>(data), size};
    check(ws::verify_jwt(in, secret, now));

    const auto nl = in.find('\n');
    const std::string_view header = in.substr(0, nl);
    const std::string_view claims = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    std::string token = araldo::base64url_encode(header) + "." + araldo::base64url_encode(claims);
    const std::string signing_input = token;
    token += "." + araldo::base64url_encode(araldo::hmac_sha256(secret, signing_input));
    const auto r = ws::verify_jwt(token, secret, now);
    check(r);
    // The same token under another key never passes.
    FUZZ_CHECK(!ws::verify_jwt(token, "other-secret", now));
    // A verified token was signed for HS256 and its claims were an object.
    if (r) FUZZ_CHECK(header.find("HS256") != std::string_view::npos || header.find("\\u") != std::string_view::npos);
    return 0;
}
