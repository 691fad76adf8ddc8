// The emit API's body decoding (plugins/endpoint-http/http_body.cpp): the
// Content-Type classification and the application/x-www-form-urlencoded
// decoder, on a client's header and body.
//
// Input: the Content-Type value up to the first '\n' (no line: no header),
// then the body.
#include "fuzz_check.hpp"
#include "http_body.hpp"

#include <araldo/encoding.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hb = araldo::plugins::endpoint_http;

namespace {

// A form field as a browser would encode it, to check the decoder against.
std::string form_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out += c;
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 0xF];
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in{reinterpret_cast<const char*>(data), size};
    const auto nl = in.find('\n');
    const std::optional<std::string_view> content_type =
        nl == std::string_view::npos ? std::nullopt : std::optional{in.substr(0, nl)};
    const std::string_view body = nl == std::string_view::npos ? in : in.substr(nl + 1);

    const auto kind = hb::classify(content_type);
    const auto r = hb::extract_payload(content_type, std::string(body));
    if (r) {
        FUZZ_CHECK(r.reason.empty());
        if (kind == hb::body_kind::json) FUZZ_CHECK(r.payload == body);
        FUZZ_CHECK(kind != hb::body_kind::unsupported);
    } else {
        FUZZ_CHECK(r.status == 400 || r.status == 415);
        FUZZ_CHECK(!r.reason.empty());
        if (r.status == 415) FUZZ_CHECK(kind == hb::body_kind::unsupported);
    }

    // Whatever the body holds, a payload field encoded after it is found
    // unless an earlier field already answered (or broke the form).
    const auto first = hb::form_field(body, "payload");
    const std::string form = std::string(body) + "&payload=" + form_encode(body);
    const auto second = hb::form_field(form, "payload");
    if (first) FUZZ_CHECK(second && second.payload == first.payload);
    if (!first && first.reason.find("no payload field") != std::string::npos) {
        FUZZ_CHECK(second && second.payload == body);
    }
    return 0;
}
