// HTTP/1.1 as endpoint-upstream speaks it to its service, without sockets:
// the request it writes and the response it reads (RFC 9112). Only what a
// client that never pipelines and never upgrades needs; the connection
// (upstream_client.cpp) feeds the parser what it reads.
#pragma once

#include "upstream_options.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace araldo::plugins::endpoint_upstream {

// Writes the request line, Host, User-Agent, Content-Type (when not empty),
// the configured headers and Content-Length, up to the empty line that ends
// the header section, onto `out`; the body (`body_size` bytes) goes after it.
// A configured Host, User-Agent or Content-Type replaces araldo's (names
// compare without case). Content-Length is left out of a GET or DELETE
// without a body, as browsers do. The caller has validated every name and
// value (read_upstream_settings, make_call).
void append_request_head(std::string& out, std::string_view method, std::string_view target,
                         std::string_view host_header, std::string_view content_type, const string_pairs& headers,
                         std::size_t body_size);

// Header names araldo writes itself from the body and the connection:
// a configured one would contradict them (read_upstream_settings refuses it).
bool framing_header(std::string_view name);

// One response, fed in pieces as they arrive. Interim responses (1xx but
// 101) are skipped. The body is delimited by Content-Length, by chunked
// transfer coding or, with neither, by the end of the connection.
class response_parser {
public:
    enum class state {
        head,     // before the end of the header section
        body,     // reading the body
        done,     // a whole response: status, content_type, body, keep_alive
        failed,   // error() says why; the connection must close
    };

    explicit response_parser(std::uint64_t body_limit, std::size_t header_limit = 16 * 1024);

    // Takes what it can from `data` and returns how many bytes that was.
    // The bytes not taken must be offered again with what arrives next: the
    // header section is parsed only once it is whole. Bytes after a done
    // response are not taken.
    std::size_t feed(std::string_view data);
    // The connection ended: completes a body delimited by it, else fails.
    void feed_eof();

    state current() const { return state_; }
    bool done() const { return state_ == state::done; }
    bool failed() const { return state_ == state::failed; }
    // Whether any byte of a response was taken (a kept-alive connection the
    // service closed before answering may be retried; one it answered on may not).
    bool started() const { return started_; }
    // Why it failed, for the log and the exception message.
    const std::string& error() const { return error_; }
    // The body was over body_limit (failed() too).
    bool too_large() const { return too_large_; }

    unsigned status() const { return status_; }
    const std::string& content_type() const { return content_type_; }
    std::string& content_type() { return content_type_; }  // to move out, as body()
    std::string& body() { return body_; }
    // The connection may carry the next request.
    bool keep_alive() const { return keep_alive_; }

private:
    enum class framing { none, length, chunked, until_close };
    enum class chunk_step { size, data, data_end, trailer };

    std::size_t parse_head(std::string_view data);
    bool read_fields(std::string_view fields, bool http10);
    std::size_t feed_chunked(std::string_view data);
    bool take_body(std::string_view bytes);
    std::size_t fail(std::string why);  // returns 0: nothing more taken
    bool reject(std::string why);       // returns false
    std::size_t fail_too_large();

    std::uint64_t body_limit_;
    std::size_t header_limit_;
    state state_ = state::head;
    bool started_ = false;
    bool too_large_ = false;
    std::string error_;

    unsigned status_ = 0;
    std::string content_type_;
    std::string body_;
    bool keep_alive_ = true;

    framing framing_ = framing::none;
    std::uint64_t remaining_ = 0;  // of the body (length) or of the current chunk
    chunk_step chunk_ = chunk_step::size;
    std::size_t trailer_bytes_ = 0;
};

}  // namespace araldo::plugins::endpoint_upstream
