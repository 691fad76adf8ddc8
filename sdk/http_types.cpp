// The plain HTTP types plugins see: lookups on a request, canned responses.
#include <araldo/encoding.hpp>
#include <araldo/http.hpp>
#include <araldo/json.hpp>

#include "char_classes.hpp"
#include "query_string.hpp"

#include <cstdio>
#include <stdexcept>

namespace araldo {

http_registry::~http_registry() = default;

// A registry outside an endpoint's context has no endpoint name to mount under.
void http_registry::add(admin_route route) {
    throw std::logic_error("admin route '" + route.path +
                           "': only an endpoint's context (ctx.http()) takes admin routes");
}

bool valid_header_name(std::string_view name) noexcept {
    return !name.empty() && detail::all_of_class(name, detail::token_chars);
}

bool valid_header_value(std::string_view value) noexcept {
    for (const char c : value)
        if (c == '\r' || c == '\n' || c == '\0') return false;
    return true;
}

namespace {

// Form-style decoding ('+' is a space). A '%' that starts no escape is kept as
// it is: a sloppy client should still get its parameter.
std::string decode_query_part(std::string_view in) {
    if (auto decoded = percent_decode(in, true)) return std::move(*decoded);
    std::string escaped;
    escaped.reserve(in.size() + 8);
    for (std::size_t i = 0; i < in.size(); ++i) {
        escaped += in[i];
        if (in[i] == '%' && !percent_decode(in.substr(i, 3), false)) escaped += "25";
    }
    return percent_decode(escaped, true).value_or(std::string{in});
}

}  // namespace

std::optional<std::string_view> http_request::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (ascii_iequals(key, name)) return std::string_view{value};
    return std::nullopt;
}

std::optional<std::string> detail::find_query_param(std::string_view query, std::string_view name) {
    std::string_view rest = query;
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        const auto eq = pair.find('=');
        if (decode_query_part(pair.substr(0, eq)) != name) continue;
        if (eq == std::string_view::npos) return std::string{};
        return decode_query_part(pair.substr(eq + 1));
    }
    return std::nullopt;
}

std::optional<std::string> http_request::query_param(std::string_view name) const {
    return detail::find_query_param(query, name);
}

http_response http_response::json(unsigned status, std::string body) {
    return http_response{status, "application/json", {}, std::move(body)};
}

http_response http_response::text(unsigned status, std::string body) {
    return http_response{status, "text/plain; charset=utf-8", {}, std::move(body)};
}

http_response http_response::error(unsigned status, std::string_view reason) {
    std::string body = "{\"error\":";
    append_json_string(body, reason);
    body += ",\"status\":";
    body += std::to_string(status);
    body += '}';
    return json(status, std::move(body));
}

}  // namespace araldo
