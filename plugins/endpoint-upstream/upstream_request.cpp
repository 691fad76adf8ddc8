#include "upstream_request.hpp"

#include <araldo/encoding.hpp>

#include <array>

namespace araldo::plugins::endpoint_upstream {

namespace {

constexpr std::array<std::string_view, 4> forwarded_methods{"GET", "POST", "PUT", "DELETE"};

bool dot_segment(std::string_view s) { return s == "." || s == ".."; }

}  // namespace

std::string target_query(std::string_view raw) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(raw.size());
    for (char c : raw) {
        auto u = static_cast<unsigned char>(c);
        if (u > 0x20 && u < 0x7f && c != '#') {
            out += c;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 0xF];
        }
    }
    return out;
}

araldo::result<upstream_call> make_call(std::string_view base_path, const araldo::request_view& req) {
    upstream_call call;
    for (auto m : forwarded_methods) {
        if (req.method == m) call.method = req.method;
    }
    if (call.method.empty()) return araldo::result<upstream_call>::fail("method '" + req.method + "' is not forwarded");
    call.target.assign(base_path);
    // The noun arrives decoded and '/'-joined: each of its segments is one
    // segment of the path again, an arg is one segment whatever it holds.
    for (std::string_view noun = req.noun; !req.noun.empty();) {
        const auto slash = noun.find('/');
        const std::string_view segment = noun.substr(0, slash);
        if (dot_segment(segment)) return araldo::result<upstream_call>::fail("a noun segment is '.' or '..'");
        call.target += '/';
        call.target += araldo::percent_encode(segment, araldo::percent_keep::unreserved);
        if (slash == std::string_view::npos) break;
        noun.remove_prefix(slash + 1);
    }
    for (const auto& arg : req.args) {
        if (dot_segment(arg)) return araldo::result<upstream_call>::fail("an arg is '.' or '..'");
        call.target += '/';
        call.target += araldo::percent_encode(arg, araldo::percent_keep::unreserved);
    }
    if (call.target.empty()) call.target.push_back('/');  // not = "/": g++ 12 -O2 warns falsely (-Wrestrict)
    if (!req.query.empty()) {
        call.target += '?';
        call.target += target_query(req.query);
    }
    call.content_type = req.content_type;
    return araldo::result<upstream_call>::ok(std::move(call));
}

araldo::reply to_reply(upstream_outcome o) {
    switch (o.failed) {
        case failure::none:
            return araldo::reply{o.status,
                                 o.content_type.empty() ? "application/octet-stream" : std::move(o.content_type),
                                 std::move(o.body), 0};
        case failure::unreachable:
            return araldo::reply::exception(o.what, "upstream_unreachable", 1);
        case failure::timeout:
            return araldo::reply::exception(o.what, "upstream_timeout", 2);
        case failure::broken:
        case failure::too_large:
            break;
    }
    return araldo::reply::exception(o.what, "upstream_error", 1);
}

std::string_view outcome_label(failure f) {
    switch (f) {
        case failure::none:
            return "ok";
        case failure::unreachable:
            return "unreachable";
        case failure::broken:
            return "error";
        case failure::timeout:
            return "timeout";
        case failure::too_large:
            return "too_large";
    }
    return "error";
}

}  // namespace araldo::plugins::endpoint_upstream
