// endpoint-http's request-mode URLs (plugins/endpoint-http/request_target.cpp):
// noun, arguments and peer from a client's raw request target.
//
// Input: one byte of flags (bit 0: peer-in-path, bit 1: the prefix "/" rather
// than "/api"), then the target as sent.
#include "fuzz_check.hpp"
#include "request_target.hpp"

#include <araldo/encoding.hpp>
#include <araldo/utf8.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hr = araldo::plugins::endpoint_http;

namespace {

bool clean(std::string_view s) { return araldo::valid_utf8(s) && s.find('\0') == std::string_view::npos; }

std::string encoded(std::string_view s) { return araldo::percent_encode(s, araldo::percent_keep::unreserved); }

// The target a client would write for what was parsed: every segment escaped.
std::string written(const hr::request_target& t, std::string_view prefix, bool peer_in_path) {
    std::string out = prefix == "/" ? "" : std::string(prefix);
    if (peer_in_path) out += "/" + encoded(t.peer);
    std::string_view noun = t.noun;
    for (;;) {
        const auto slash = noun.find('/');
        out += "/" + encoded(noun.substr(0, slash));
        if (slash == std::string_view::npos) break;
        noun.remove_prefix(slash + 1);
    }
    if (!t.args.empty()) {
        out += "/";
        for (const auto& a : t.args) out += "/" + encoded(a);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const bool peer_in_path = (data[0] & 1) != 0;
    const std::string_view prefix = (data[0] & 2) != 0 ? "/" : "/api";
    const std::string_view target{reinterpret_cast<const char*>(data) + 1, size - 1};

    const auto r = hr::parse_request_target(target, prefix, peer_in_path);
    if (!r) {
        FUZZ_CHECK(!r.reason().empty());
        return 0;
    }
    const auto& t = r.value();
    FUZZ_CHECK(!t.noun.empty());
    FUZZ_CHECK(clean(t.noun) && clean(t.peer));
    FUZZ_CHECK(peer_in_path != t.peer.empty());
    for (const auto& a : t.args) FUZZ_CHECK(clean(a));

    // The query never changes what the path says.
    if (target.find('?') == std::string_view::npos) {
        const auto q = hr::parse_request_target(std::string(target) + "?a//b/%zz", prefix, peer_in_path);
        FUZZ_CHECK(q && q.value().noun == t.noun && q.value().args == t.args && q.value().peer == t.peer);
    }
    // Written back with every segment escaped, it reads the same; a noun
    // segment that held an escaped '/' at an edge cannot be written apart.
    const bool noun_splits_cleanly =
        t.noun.front() != '/' && t.noun.back() != '/' && t.noun.find("//") == std::string::npos;
    if (noun_splits_cleanly) {
        const auto again = hr::parse_request_target(written(t, prefix, peer_in_path), prefix, peer_in_path);
        FUZZ_CHECK(again && again.value().noun == t.noun && again.value().args == t.args &&
                   again.value().peer == t.peer);
    }
    return 0;
}
