// From a request body to a message payload, sans-I/O: JSON bodies are the
// payload as they are; a form body's `payload` field is the payload.
#pragma once

#include <araldo/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace araldo::plugins::endpoint_http {

// The payload, or why the body holds none.
using body_outcome = araldo::result<std::string>;

enum class body_kind { json, form, unsupported };

// From the Content-Type header: application/json, application/<anything>+json,
// or application/x-www-form-urlencoded, parameters (charset) ignored.
body_kind classify(std::optional<std::string_view> content_type);

// A refusal is a 415 when classify(content_type) is unsupported, else a 400.
body_outcome extract_payload(std::optional<std::string_view> content_type, std::string body);
unsigned refusal_status(std::optional<std::string_view> content_type);

// The decoded value of the first field named `name`; an error reason when the
// form is malformed or lacks the field.
body_outcome form_field(std::string_view form, std::string_view name);

}  // namespace araldo::plugins::endpoint_http
