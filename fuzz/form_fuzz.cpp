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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in{reinterpret_cast<const char*>(data), size};
    const auto nl = in.find('\n');
    const std::optional<std::string_view> content_type =
        nl == std::string_view::npos ? std::nullopt : std::optional{in.substr(0, nl)};
    const std::string_view body = nl == std::string_view::npos ? in : in.substr(nl + 1);

    const auto kind = hb::classify(content_type);
    const auto r = hb::extract_payload(content_type, std::string(body));
    if (r) {
        FUZZ_CHECK(r.reason().empty());
        if (kind == hb::body_kind::json) FUZZ_CHECK(r.value() == body);
        FUZZ_CHECK(kind != hb::body_kind::unsupported);
    } else {
        const unsigned status = hb::refusal_status(content_type);
        FUZZ_CHECK(status == 400 || status == 415);
        FUZZ_CHECK(!r.reason().empty());
        FUZZ_CHECK((status == 415) == (kind == hb::body_kind::unsupported));
    }

    // Whatever the body holds, a payload field encoded after it is found
    // unless an earlier field already answered (or broke the form).
    const auto first = hb::form_field(body, "payload");
    const std::string form =
        std::string(body) + "&payload=" + araldo::percent_encode(body, araldo::percent_keep::unreserved, true);
    const auto second = hb::form_field(form, "payload");
    if (first) FUZZ_CHECK(second && second.value() == first.value());
    if (!first && first.reason().find("no payload field") != std::string::npos) {
        FUZZ_CHECK(second && second.value() == body);
    }
    return 0;
}
