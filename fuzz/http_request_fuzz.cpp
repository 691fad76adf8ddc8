// The core listener's request path (core/http/listener_session.cpp and
// request_rules.cpp) without a socket: pipelined bytes through Beast's request
// parser with the listener's limits, then the rules that pick a route or
// refuse, the body parser with the route's limit, and the reply writer.
//
// The loop mirrors session::serve_one, parse and read_body step by step; the
// socket is replaced by reads of a size the input chooses, EOF by the end of
// the input. A change to the session's order of checks belongs here too.
#include "fuzz_check.hpp"

#include "http/reply_writer.hpp"
#include "http/request_rules.hpp"

#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace http = boost::beast::http;
using namespace araldo;
using namespace araldo::detail;
using error_code = boost::system::error_code;

namespace {

// Routes shaped like the ones the relay registers: an exact path, prefixes
// with and without a trailing slash, method lists, a small body limit so 413
// is reachable, and a WebSocket upgrade path. With static files (a prefix
// route at /) no path is a 404; without them (static-dir: none) many are.
std::shared_ptr<listener_state> make_state(bool static_files) {
    static asio::io_context io;
    auto st = std::make_shared<listener_state>(io.get_executor(), nullptr, listener_limits{});
    const auto route = [&](std::string path, bool prefix, std::vector<std::string> methods, std::uint64_t max_body,
                           std::vector<std::string> only = {}) {
        st->http_routes.push_back(
            {std::make_shared<const http_route>(http_route{std::move(path), prefix, std::move(methods), max_body, {}}),
             std::move(only)});
    };
    route("/_health/", false, {"GET", "HEAD"}, 0);
    route("/metrics", false, {"GET"}, 0, {"private"});  // on another listener: a 404 (or static files) here
    route("/emit", true, {"POST"}, 256);
    route("/api/", true, {}, 1024);
    if (static_files) route("/", true, {"GET", "HEAD"}, 0);
    st->upgrade_routes.push_back({std::make_shared<const upgrade_route>(upgrade_route{"/ws", {}, {}}), {}});
    return st;
}

// Bytes as the socket would hand them over: `chunk` at a time.
struct connection {
    std::string_view unread;
    std::size_t chunk;
    std::string buffer;  // read, not yet consumed by a parser
    // Where the last reply starts in the output, and whether it refused a
    // request the parser rejected (header or body) and closed the connection.
    std::size_t last_reply = 0;
    bool parser_refusal = false;

    bool read_more() {
        if (unread.empty()) return false;  // EOF: the session closes
        const auto n = std::min(chunk, unread.size());
        buffer.append(unread.substr(0, n));
        unread.remove_prefix(n);
        return true;
    }

    // session::parse: put() what is buffered, read only on need_more.
    template <class Parser>
    error_code parse(Parser& parser, bool header_only) {
        const auto done = [&] { return header_only ? parser.is_header_done() : parser.is_done(); };
        while (!done()) {
            error_code ec = http::error::need_more;
            if (!buffer.empty()) buffer.erase(0, parser.put(boost::asio::buffer(buffer), ec));
            if (ec == http::error::need_more) ec = read_more() ? error_code{} : http::error::end_of_stream;
            if (ec) return ec;
        }
        return {};
    }
};

// The listener's own error replies are JSON bodies a client may parse.
void check_refusal(const http_response& r) {
    FUZZ_CHECK(r.status >= 400);
    boost::system::error_code ec;
    boost::json::parse(r.body, ec);
    FUZZ_CHECK(!ec);
}

// One request; false when the connection ends after it.
bool serve_one(const listener_state& st, connection& c, std::string& out) {
    c.last_reply = out.size();
    const auto refuse_with = [&](reply_to reply, const http_response& r) {
        check_refusal(r);
        append_response(out, reply, r);
        return reply.keep_alive;
    };
    constexpr reply_to closing{11, false, false};
    header_parser hp;
    hp.header_limit(st.limits.max_header_bytes);
    hp.body_limit(boost::none);
    if (const auto ec = c.parse(hp, true)) {
        c.parser_refusal = true;
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
            return refuse_with(closing, http_response::error(431, "request header too large"));
        if (ec != http::error::end_of_stream && ec != http::error::partial_message)
            return refuse_with(closing, http_response::error(400, "malformed request: " + ec.message()));
        return false;
    }
    auto request = make_request(hp, "127.0.0.1:1");
    if (!request) return refuse_with(closing, http_response::error(400, "malformed request target"));
    FUZZ_CHECK(request->path.find('\0') == std::string::npos);
    request->listener = "public";
    if (is_websocket_upgrade(hp) && find_upgrade(st, request->path, request->listener)) return false;  // handed over
    reply_to reply = reply_of(hp);
    const auto route = find_route(st, request->path, request->listener);
    auto refusal = upgrade_required(st, route.get(), *request);
    if (!refusal) refusal = refuse(route.get(), *request, hp);
    if (refusal) {
        if (has_body(hp) || refusal->status == 413) reply.keep_alive = false;
        return refuse_with(reply, *refusal);
    }
    if (has_body(hp)) {
        if (expects_continue(hp)) out += "HTTP/1.1 100 Continue\r\n\r\n";
        http::request_parser<http::string_body> bp{std::move(hp)};
        bp.body_limit(route->max_body);
        if (const auto ec = c.parse(bp, false)) {
            c.parser_refusal = true;
            if (ec == http::error::body_limit)
                return refuse_with(closing, http_response::error(413, "request body too large"));
            if (ec != http::error::end_of_stream && ec != http::error::partial_message)
                return refuse_with(closing, http_response::error(400, "malformed request: " + ec.message()));
            return false;
        }
        request->body = std::move(bp.get().body());
        FUZZ_CHECK(request->body.size() <= route->max_body);
    }
    // A handler's reply that echoes what it was given, as endpoints do.
    http_response r = http_response::json(200, "{}");
    r.headers.emplace_back("X-Path-Length", std::to_string(request->path.size()));
    for (const auto& [name, value] : request->headers) {
        FUZZ_CHECK(!name.empty());
        if (name == "x-echo") r.headers.emplace_back(name, value);
    }
    append_response(out, reply, r);
    return reply.keep_alive;
}

struct outcome {
    std::string replies;
    std::size_t last_reply;
    bool parser_refusal;
};

outcome serve(std::string_view bytes, std::size_t chunk, bool static_files) {
    static const auto with_static = make_state(true), without_static = make_state(false);
    const auto& st = static_files ? with_static : without_static;
    connection c{bytes, chunk, {}};
    std::string out;
    for (int served = 0; served < 1000 && (!c.buffer.empty() || c.read_more()); ++served)
        if (!serve_one(*st, c, out)) break;
    return {std::move(out), c.last_reply, c.parser_refusal};
}

// The same replies; except that when both runs end refusing a request the
// parser rejected, which refusal may differ: Beast checks a chunk's size
// against the body limit, and its extension's syntax, in an order that
// depends on which bytes have arrived (413 or 400, the connection closes
// either way).
bool same_replies(const outcome& a, const outcome& b) {
    if (a.replies == b.replies) return true;
    if (!a.parser_refusal || !b.parser_refusal || a.last_reply != b.last_reply) return false;
    return a.replies.compare(0, a.last_reply, b.replies, 0, b.last_reply) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // The first byte sets the read size (1..127 bytes, or the listener's first
    // read of 4 KiB for 0) and, in its top bit, whether static files are
    // served: the replies must not depend on how the bytes were cut.
    // Beast parses a request line at once when it arrives whole, but only
    // after the blank line when it came in pieces, so a bad line in a header
    // the client never finishes is a 400 in one case and a silent close at
    // EOF in the other: both fine. A blank line at the end makes every header
    // complete, so the comparison holds the rest to the same answer.
    std::string bytes{reinterpret_cast<const char*>(data + 1), size - 1};
    bytes += "\r\n\r\n";
    const std::size_t chunk = (data[0] & 0x7F) == 0 ? std::size_t{4096} : data[0] & 0x7F;
    const bool static_files = (data[0] & 0x80) != 0;
    const auto cut = serve(bytes, chunk, static_files), whole = serve(bytes, bytes.size() + 1, static_files);
    if (!same_replies(cut, whole))
        std::fprintf(stderr, "read %zu at a time:\n%s\nall at once:\n%s\n", chunk, cut.replies.c_str(),
                     whole.replies.c_str());
    FUZZ_CHECK(same_replies(cut, whole));
    return 0;
}
