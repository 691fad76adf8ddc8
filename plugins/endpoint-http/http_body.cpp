#include "http_body.hpp"

#include <araldo/encoding.hpp>

namespace araldo::plugins::endpoint_http {

namespace {

std::string lower_trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    std::string out{s};
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

body_outcome failure(std::string reason) { return body_outcome::fail(std::move(reason)); }

}  // namespace

body_kind classify(std::optional<std::string_view> content_type) {
    if (!content_type) return body_kind::unsupported;
    const std::string media = lower_trimmed(content_type->substr(0, content_type->find(';')));
    if (media == "application/json") return body_kind::json;
    if (media.starts_with("application/") && media.ends_with("+json")) return body_kind::json;
    if (media == "application/x-www-form-urlencoded") return body_kind::form;
    return body_kind::unsupported;
}

body_outcome form_field(std::string_view form, std::string_view name) {
    while (!form.empty()) {
        const auto amp = form.find('&');
        const std::string_view pair = form.substr(0, amp);
        form = amp == std::string_view::npos ? std::string_view{} : form.substr(amp + 1);
        const auto eq = pair.find('=');
        const auto key = percent_decode(pair.substr(0, eq), true);
        if (!key) return failure("malformed form body: bad %-escape");
        if (*key != name) continue;
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!value) return failure("malformed form body: bad %-escape in " + std::string(name));
        return body_outcome::ok(std::move(*value));
    }
    return failure("form body has no " + std::string(name) + " field");
}

body_outcome extract_payload(std::optional<std::string_view> content_type, std::string body) {
    switch (classify(content_type)) {
        case body_kind::json: return body_outcome::ok(std::move(body));
        case body_kind::form: return form_field(body, "payload");
        case body_kind::unsupported: break;
    }
    const std::string accepted = "application/json or application/x-www-form-urlencoded";
    if (!content_type) return failure("Content-Type required: " + accepted);
    return failure("unsupported Content-Type " + std::string(content_type->substr(0, 100)) + ": use " + accepted);
}

unsigned refusal_status(std::optional<std::string_view> content_type) {
    return classify(content_type) == body_kind::unsupported ? 415 : 400;
}

}  // namespace araldo::plugins::endpoint_http
