#include "http1_codec.hpp"

#include <araldo/http.hpp>

#include <algorithm>
#include <array>
#include <limits>

namespace araldo::plugins::endpoint_upstream {

namespace {

// Longest chunk-size line taken, extensions included: nothing legitimate
// comes near it, and it bounds what a hostile service makes us buffer.
constexpr std::size_t max_chunk_line = 4096;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool ows(char c) { return c == ' ' || c == '\t'; }

// Calls `f` with each trimmed, non-empty element of a comma-separated list;
// stops early when `f` returns false.
template <class F>
bool each_element(std::string_view list, F f) {
    while (true) {
        const auto comma = list.find(',');
        const auto item = araldo::trim_ows(list.substr(0, comma));
        if (!item.empty() && !f(item)) return false;
        if (comma == std::string_view::npos) return true;
        list.remove_prefix(comma + 1);
    }
}

bool parse_decimal(std::string_view s, std::uint64_t& out) {
    if (s.empty() || s.size() > 19) return false;  // 19 digits cannot overflow 64 bits
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out = v;
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// One line of `data` from `from`: its text without CR LF (or a bare LF), and
// where the next line starts. npos when the line's LF has not come yet.
struct line {
    std::string_view text;
    std::size_t next = std::string_view::npos;
};

line next_line(std::string_view data, std::size_t from) {
    const auto lf = data.find('\n', from);
    if (lf == std::string_view::npos) return {};
    auto text = data.substr(from, lf - from);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    return {text, lf + 1};
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
}

const string_pairs::value_type* configured(const string_pairs& headers, std::string_view name) {
    for (const auto& h : headers)
        if (ascii_iequals(h.first, name)) return &h;
    return nullptr;
}

}  // namespace

bool framing_header(std::string_view name) {
    static constexpr std::array<std::string_view, 6> names{"content-length", "transfer-encoding", "connection",
                                                           "te",             "upgrade",           "trailer"};
    return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return ascii_iequals(n, name); });
}

void append_request_head(std::string& out, std::string_view method, std::string_view target,
                         std::string_view host_header, std::string_view content_type, const string_pairs& headers,
                         std::size_t body_size) {
    out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
    // araldo's own fields first, unless the configuration replaces them.
    if (!configured(headers, "host")) append_field(out, "Host", host_header);
    if (!configured(headers, "user-agent")) append_field(out, "User-Agent", "araldo-upstream");
    if (!content_type.empty() && !configured(headers, "content-type")) append_field(out, "Content-Type", content_type);
    for (const auto& [name, value] : headers)
        if (!framing_header(name)) append_field(out, name, value);
    const bool bodiless = body_size == 0 && (method == "GET" || method == "DELETE");
    if (!bodiless) append_field(out, "Content-Length", std::to_string(body_size));
    out.append("\r\n");
}

response_parser::response_parser(std::uint64_t body_limit, std::size_t header_limit)
    : body_limit_{body_limit}, header_limit_{header_limit} {}

std::size_t response_parser::fail(std::string why) {
    state_ = state::failed;
    error_ = std::move(why);
    return 0;
}

std::size_t response_parser::fail_too_large() {
    too_large_ = true;
    return fail("a response body over " + std::to_string(body_limit_) + " bytes");
}

bool response_parser::reject(std::string why) {
    fail(std::move(why));
    return false;
}

std::size_t response_parser::feed(std::string_view data) {
    if (!data.empty() && state_ != state::done && state_ != state::failed) started_ = true;
    std::size_t taken = 0;
    while (taken < data.size()) {
        const auto rest = data.substr(taken);
        std::size_t n = 0;
        if (state_ == state::head) {
            n = parse_head(rest);
        } else if (state_ == state::body) {
            if (framing_ == framing::chunked) {
                n = feed_chunked(rest);
            } else {
                const auto want = framing_ == framing::length
                                      ? static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()))
                                      : rest.size();
                if (!take_body(rest.substr(0, want))) return taken;
                n = want;
                if (framing_ == framing::length) {
                    remaining_ -= want;
                    if (remaining_ == 0) state_ = state::done;
                }
            }
        }
        if (n == 0) break;  // needs more bytes, or failed, or done
        taken += n;
    }
    return taken;
}

void response_parser::feed_eof() {
    if (state_ == state::done || state_ == state::failed) return;
    if (state_ == state::body && framing_ == framing::until_close) {
        state_ = state::done;
        return;
    }
    fail("the service closed the connection before a whole response");
}

std::size_t response_parser::parse_head(std::string_view data) {
    // Only a whole header section is parsed: find its empty line first.
    std::size_t end = 0;
    for (std::size_t at = 0;;) {
        const auto l = next_line(data, at);
        if (l.next == std::string_view::npos || l.next > header_limit_) {
            if (data.size() > header_limit_)
                return fail("a response header section over " + std::to_string(header_limit_) + " bytes");
            return 0;
        }
        if (l.text.empty() && at > 0) {
            end = l.next;
            break;
        }
        if (l.text.empty()) return fail("a response that starts with an empty line");
        at = l.next;
    }
    const auto status_line = next_line(data, 0);
    const auto s = status_line.text;
    // HTTP/1.x SP 3DIGIT [SP reason]
    // A later 1.x minor version reads as 1.1 (RFC 9112 2.3).
    if (s.size() < 12 || s.substr(0, 7) != "HTTP/1." || s[7] < '0' || s[7] > '9' || s[8] != ' ')
        return fail("not an HTTP/1.x status line");
    const bool http10 = s[7] == '0';
    unsigned status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (s[i] < '0' || s[i] > '9') return fail("a status that is not 3 digits");
        status = status * 10 + static_cast<unsigned>(s[i] - '0');
    }
    if (status < 100) return fail("status " + std::to_string(status));
    if (s.size() > 12 && s[12] != ' ') return fail("a status that is not 3 digits");
    if (status == 101) return fail("the service switched protocols (101), which araldo did not ask for");
    if (status < 200) return end;  // interim (100 Continue, 103 Early Hints): the real one follows

    status_ = status;
    keep_alive_ = !http10;
    if (!read_fields(data.substr(status_line.next, end - status_line.next), http10)) return 0;
    if (status_ == 204 || status_ == 304) {
        framing_ = framing::none;  // never a body, whatever the fields say
        state_ = state::done;
    } else if (framing_ == framing::length && remaining_ == 0) {
        state_ = state::done;
    } else {
        if (framing_ == framing::none) {
            framing_ = framing::until_close;
            keep_alive_ = false;
        }
        state_ = state::body;
    }
    return end;
}

bool response_parser::read_fields(std::string_view fields, bool http10) {
    bool has_length = false, chunked = false, has_coding = false, keep_alive_token = false, close_token = false;
    for (std::size_t at = 0; at < fields.size();) {
        const auto l = next_line(fields, at);
        at = l.next;
        if (l.text.empty()) continue;
        if (ows(l.text.front())) return reject("a header field folded over lines");
        const auto colon = l.text.find(':');
        if (colon == std::string_view::npos) return reject("a header line without a colon");
        const auto name = l.text.substr(0, colon);
        const auto value = araldo::trim_ows(l.text.substr(colon + 1));
        if (!araldo::valid_header_name(name)) return reject("a malformed header field name");
        if (!araldo::valid_header_value(value)) return reject("a header field value with a CR or NUL");
        if (ascii_iequals(name, "content-length")) {
            // A list of equal values ("5, 5") is one length (RFC 9110 8.6).
            bool any = false;
            const bool ok = each_element(value, [&](std::string_view v) {
                std::uint64_t n = 0;
                if (!parse_decimal(v, n) || (has_length && n != remaining_)) return false;
                has_length = any = true;
                remaining_ = n;
                return true;
            });
            if (!ok || !any) return reject("a malformed or conflicting Content-Length");
        } else if (ascii_iequals(name, "transfer-encoding")) {
            // Only chunked is undone here, once: araldo asks for no other
            // coding (it sends no TE).
            const bool ok = each_element(value, [&](std::string_view coding) {
                if (!ascii_iequals(coding, "chunked") || chunked) return false;
                chunked = true;
                return true;
            });
            if (ok && !chunked) return reject("an empty Transfer-Encoding");
            has_coding = true;
            if (!ok) return reject("a transfer coding other than chunked: '" + std::string(value.substr(0, 40)) + "'");
        } else if (ascii_iequals(name, "connection")) {
            each_element(value, [&](std::string_view token) {
                if (ascii_iequals(token, "close")) close_token = true;
                if (ascii_iequals(token, "keep-alive")) keep_alive_token = true;
                return true;
            });
        } else if (ascii_iequals(name, "content-type")) {
            if (content_type_.empty()) content_type_ = std::string(value);
        }
    }
    if (close_token) keep_alive_ = false;
    if (http10 && keep_alive_token && !close_token && !has_coding) keep_alive_ = true;
    if (has_coding) {
        // RFC 9112 6.3: chunked wins over Content-Length, but such a
        // response may be an attempt at smuggling: its connection is not reused.
        if (has_length) keep_alive_ = false;
        if (http10) keep_alive_ = false;
        framing_ = framing::chunked;
        remaining_ = 0;
    } else if (has_length) {
        framing_ = framing::length;
        if (remaining_ > body_limit_ && status_ != 204 && status_ != 304) {
            fail_too_large();
            return false;
        }
    }
    return true;
}

bool response_parser::take_body(std::string_view bytes) {
    if (body_.size() + bytes.size() > body_limit_) {
        fail_too_large();
        return false;
    }
    body_.append(bytes);
    return true;
}

std::size_t response_parser::feed_chunked(std::string_view data) {
    switch (chunk_) {
        case chunk_step::size: {
            const auto l = next_line(data, 0);
            if (l.next == std::string_view::npos) {
                if (data.size() > max_chunk_line) return fail("a chunk size line over 4096 bytes");
                return 0;
            }
            if (l.next > max_chunk_line) return fail("a chunk size line over 4096 bytes");
            std::uint64_t size = 0;
            std::size_t i = 0;
            for (; i < l.text.size() && hex_value(l.text[i]) >= 0; ++i) {
                if (i == 16) return fail("a chunk size over 64 bits");
                size = size * 16 + static_cast<std::uint64_t>(hex_value(l.text[i]));
            }
            if (i == 0) return fail("a malformed chunk size");
            const auto ext = araldo::trim_ows(l.text.substr(i));
            if (!ext.empty() && ext.front() != ';') return fail("a malformed chunk size");
            if (size == 0) {
                chunk_ = chunk_step::trailer;
            } else if (size > body_limit_ || body_.size() + size > body_limit_) {
                return fail_too_large();
            } else {
                remaining_ = size;
                chunk_ = chunk_step::data;
            }
            return l.next;
        }
        case chunk_step::data: {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size()));
            if (!take_body(data.substr(0, n))) return 0;
            remaining_ -= n;
            if (remaining_ == 0) chunk_ = chunk_step::data_end;
            return n;
        }
        case chunk_step::data_end: {
            if (data.front() == '\n') {
                chunk_ = chunk_step::size;
                return 1;
            }
            if (data.front() != '\r') return fail("chunk data longer than its size");
            if (data.size() < 2) return 0;
            if (data[1] != '\n') return fail("chunk data longer than its size");
            chunk_ = chunk_step::size;
            return 2;
        }
        case chunk_step::trailer: {
            const auto l = next_line(data, 0);
            if (l.next == std::string_view::npos) {
                if (trailer_bytes_ + data.size() > header_limit_)
                    return fail("a trailer section over " + std::to_string(header_limit_) + " bytes");
                return 0;
            }
            trailer_bytes_ += l.next;
            if (trailer_bytes_ > header_limit_)
                return fail("a trailer section over " + std::to_string(header_limit_) + " bytes");
            if (l.text.empty()) state_ = state::done;  // trailer fields themselves are not forwarded
            return l.next;
        }
    }
    return 0;
}

}  // namespace araldo::plugins::endpoint_upstream
