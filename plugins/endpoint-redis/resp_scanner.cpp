#include "resp_scanner.hpp"

#include <algorithm>
#include <cstdio>

namespace araldo::plugins::endpoint_redis {

namespace {

bool is_numeric(char type) { return type == ':' || type == '$' || type == '*'; }

}  // namespace

resp_scanner::resp_scanner(resp_limits limits) : limits_(limits) {
    limits_.max_depth = std::min(limits_.max_depth, max_tracked_depth);
}

std::size_t resp_scanner::feed(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size()) {
        if (phase_ == phase::failed) return i;
        if (phase_ == phase::bulk) {
            // The payload itself is not inspected: skip it in one step.
            auto n = static_cast<std::size_t>(std::min<std::uint64_t>(bulk_left_, bytes.size() - i));
            bulk_left_ -= n;
            i += n;
            offset_ += n;
            if (bulk_left_ == 0) phase_ = phase::bulk_cr;
            continue;
        }
        const char c = bytes[i];
        bool ok = true;
        switch (phase_) {
            case phase::type: ok = on_type(c); break;
            case phase::line:
                if (c == '\r') {
                    phase_ = phase::line_lf;
                } else {
                    ok = on_line_byte(c);
                }
                break;
            case phase::line_lf:
                if (c == '\n') {
                    ok = on_line_end();
                } else if (is_numeric(type_)) {
                    ok = fail(fmt_header_error("a CR without LF"));
                } else {
                    // hiredis ends a line at the first CRLF: a lone CR is part of a status or error text.
                    ok = on_line_byte('\r');
                    if (ok && c != '\r') {
                        ok = on_line_byte(c);
                        // A failure already set the phase: keep it (found by fuzz/resp).
                        if (ok) phase_ = phase::line;
                    }
                }
                break;
            case phase::bulk_cr:
            case phase::bulk_lf:
                if (c != (phase_ == phase::bulk_cr ? '\r' : '\n')) {
                    ok = fail("a bulk string not followed by CRLF");
                } else if (phase_ == phase::bulk_cr) {
                    phase_ = phase::bulk_lf;
                } else {
                    value_done();
                }
                break;
            case phase::bulk:
            case phase::failed: break;  // handled above
        }
        if (!ok) return i;
        ++i;
        ++offset_;
    }
    return i;
}

bool resp_scanner::on_type(char c) {
    if (c != '+' && c != '-' && c != ':' && c != '$' && c != '*') {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(c));
        return fail(std::string("unknown reply type byte ") + hex);
    }
    type_ = c;
    line_length_ = 0;
    negative_ = false;
    digits_ = 0;
    magnitude_ = 0;
    phase_ = phase::line;
    return true;
}

bool resp_scanner::on_line_byte(char c) {
    if (++line_length_ > limits_.max_line) {
        return fail("a line longer than " + std::to_string(limits_.max_line) + " bytes");
    }
    if (!is_numeric(type_)) return true;
    if (c == '-' && line_length_ == 1) {
        negative_ = true;
        return true;
    }
    if (c < '0' || c > '9') return fail(fmt_header_error("a byte that is not a digit"));
    // The canonical form only, as Redis writes it and hiredis accepts it: "0" or no leading zero.
    if (digits_ == 1 && magnitude_ == 0) return fail(fmt_header_error("a leading zero"));
    // Well-formed means it fits a 64-bit signed integer, as hiredis stores it.
    const std::uint64_t max = negative_ ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (magnitude_ > (max - d) / 10) return fail(fmt_header_error("a number out of the 64-bit range"));
    magnitude_ = magnitude_ * 10 + d;
    ++digits_;
    return true;
}

bool resp_scanner::on_line_end() {
    if (!is_numeric(type_)) {
        value_done();
        return true;
    }
    if (digits_ == 0) return fail(fmt_header_error("no digits"));
    if (negative_ && magnitude_ == 0) return fail(fmt_header_error("a negative zero"));
    return on_header();
}

// A complete ':', '$' or '*' line: the sizes it declares, against the limits.
bool resp_scanner::on_header() {
    if (type_ == ':') {
        value_done();
        return true;
    }
    const bool nil = negative_ && magnitude_ == 1;
    if (negative_ && !nil) return fail("a negative length in '" + header_text() + "'");
    if (type_ == '$') {
        if (nil) {
            value_done();
            return true;
        }
        if (magnitude_ > limits_.max_bulk) {
            return fail("a bulk string of " + std::to_string(magnitude_) + " bytes, more than max-message-size (" +
                        std::to_string(limits_.max_bulk) + ")");
        }
        bulk_left_ = magnitude_;
        phase_ = bulk_left_ > 0 ? phase::bulk : phase::bulk_cr;
        return true;
    }
    if (depth_ >= limits_.max_depth) {
        return fail("an array nested " + std::to_string(depth_ + 1) + " deep, more than " +
                    std::to_string(limits_.max_depth));
    }
    if (magnitude_ > limits_.max_elements) {
        return fail("an array of " + std::to_string(magnitude_) + " elements, more than " +
                    std::to_string(limits_.max_elements));
    }
    if (nil || magnitude_ == 0) {
        value_done();
        return true;
    }
    open_[depth_++] = magnitude_;
    phase_ = phase::type;
    return true;
}

// One value is complete: it may complete the arrays around it, and a reply.
void resp_scanner::value_done() {
    phase_ = phase::type;
    while (depth_ > 0) {
        if (--open_[depth_ - 1] > 0) return;
        --depth_;
    }
    ++replies_;
}

bool resp_scanner::fail(std::string why) {
    violation_ = std::move(why) + " at byte " + std::to_string(offset_);
    phase_ = phase::failed;
    return false;
}

std::string resp_scanner::header_text() const {
    return std::string(1, type_) + (negative_ ? "-" : "") + std::to_string(magnitude_);
}

std::string resp_scanner::fmt_header_error(std::string_view what) const {
    const char* kind = type_ == ':' ? "an integer" : type_ == '$' ? "a bulk string length" : "an array length";
    return std::string(kind) + " with " + std::string(what);
}

}  // namespace araldo::plugins::endpoint_redis
