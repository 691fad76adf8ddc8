// From a request body to a message payload, sans-I/O: JSON bodies are the
// payload as they are; a form body's `payload` field is the payload.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace araldo::plugins::endpoint_http {

struct body_outcome {
    std::string payload;  // valid when status == 0
    unsigned status = 0;  // 0, or the HTTP error to answer (400, 415)
    std::string reason;

    explicit operator bool() const noexcept { return status == 0; }
};

enum class body_kind { json, form, unsupported };

// From the Content-Type header: application/json, application/<anything>+json,
// or application/x-www-form-urlencoded, parameters (charset) ignored.
body_kind classify(std::optional<std::string_view> content_type);

body_outcome extract_payload(std::optional<std::string_view> content_type, std::string body);

// The decoded value of the first field named `name`; an error reason when the
// form is malformed or lacks the field.
body_outcome form_field(std::string_view form, std::string_view name);

}  // namespace araldo::plugins::endpoint_http
