#include "http/reply_writer.hpp"

#include <boost/beast/http/status.hpp>
#include <boost/container/small_vector.hpp>

#include <array>

namespace araldo::detail {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

// The listener owns message framing; a handler cannot override it, nor smuggle
// a line break into the header block.
// Every header of every reply goes through this: the checks are two memchr
// per string (find_first_of would call memchr once per character).
bool acceptable_header(std::string_view name, std::string_view value) {
    static constexpr std::string_view framing[] = {"content-length", "transfer-encoding", "connection"};
    for (const auto f : framing)
        if (ascii_iequals(name, f)) return false;
    const auto clean = [](std::string_view s) {
        return s.find('\r') == std::string_view::npos && s.find('\n') == std::string_view::npos;
    };
    return !name.empty() && clean(name) && clean(value);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(araldo::trim_ows(value)).append("\r\n");
}

// In the order Beast's field list wrote them before this listener serialized
// replies itself: a repeated name joins the first field of that name.
void append_header_fields(std::string& out, const string_pairs& headers, bool own_type) {
    enum : unsigned char { left_out, pending, written };
    boost::container::small_vector<unsigned char, 16> state(headers.size(), left_out);
    for (std::size_t i = 0; i < headers.size(); ++i) {
        const auto& [name, value] = headers[i];
        if (acceptable_header(name, value) && !(own_type && ascii_iequals(name, "content-type"))) state[i] = pending;
    }
    // Field i and every later one of the same name.
    const auto append_named = [&](std::size_t i) {
        const std::string_view name = headers[i].first;
        for (std::size_t j = i; j < headers.size(); ++j) {
            if (state[j] != pending || !ascii_iequals(headers[j].first, name)) continue;
            append_field(out, headers[j].first, headers[j].second);
            state[j] = written;
        }
    };
    append_field(out, "Server", "araldo");
    for (std::size_t i = 0; i < headers.size(); ++i)
        if (state[i] == pending && ascii_iequals(headers[i].first, "server")) {
            append_named(i);
            break;
        }
    for (std::size_t i = 0; i < headers.size(); ++i)
        if (state[i] == pending) append_named(i);
}

// HTTP/1.1 says when the connection closes, HTTP/1.0 when it stays open.
std::string_view connection_token(const reply_to& reply) {
    if (reply.version < 11) return reply.keep_alive ? "keep-alive" : "";
    return reply.keep_alive ? "" : "close";
}

}  // namespace

void append_response(std::string& out, const reply_to& reply, const http_response& r) {
    const unsigned status = r.status >= 100 && r.status <= 999 ? r.status : 500;
    // 1xx, 204 and 304 carry neither a body nor a Content-Length.
    const bool bodiless = status < 200 || status == 204 || status == 304;
    const bool own_type = !bodiless && !r.content_type.empty();
    const std::array<char, 3> version{static_cast<char>('0' + reply.version / 10 % 10), '.',
                                      static_cast<char>('0' + reply.version % 10)};
    out.append("HTTP/").append(version.data(), version.size()).append(" ").append(std::to_string(status));
    out.append(" ").append(std::string_view{http::obsolete_reason(static_cast<http::status>(status))}).append("\r\n");
    append_header_fields(out, r.headers, own_type);
    if (const auto token = connection_token(reply); !token.empty()) append_field(out, "Connection", token);
    if (own_type) append_field(out, "Content-Type", r.content_type);
    if (!bodiless) append_field(out, "Content-Length", std::to_string(r.body.size()));
    out += "\r\n";
    if (!bodiless && !reply.head) out += r.body;
}

}  // namespace araldo::detail
