#include "request_target.hpp"

#include <araldo/encoding.hpp>
#include <araldo/utf8.hpp>

namespace araldo::plugins::endpoint_http {

namespace {

using outcome = araldo::result<request_target>;

// Attributes are text that ends up in logs and JSON: a segment must decode
// to UTF-8 without NUL.
araldo::result<std::string> decode_segment(std::string_view raw, std::string_view what) {
    auto decoded = percent_decode(raw, false);
    if (!decoded) return araldo::result<std::string>::fail("bad %-escape in the " + std::string(what));
    if (!valid_utf8(*decoded) || decoded->find('\0') != std::string::npos)
        return araldo::result<std::string>::fail("the " + std::string(what) + " must decode to UTF-8 without NUL");
    return araldo::result<std::string>::ok(std::move(*decoded));
}

// Calls `f` with each segment between '/' ("" is one empty segment, "a/"
// two) until it returns false; false if it did. No vector: this runs twice
// for every request.
template <class F>
bool each_segment(std::string_view s, F f) {
    for (;;) {
        const auto slash = s.find('/');
        if (!f(s.substr(0, slash))) return false;
        if (slash == std::string_view::npos) return true;
        s.remove_prefix(slash + 1);
    }
}

}  // namespace

outcome parse_request_target(std::string_view target, std::string_view prefix, bool peer_in_path) {
    std::string_view path = target.substr(0, target.find('?'));
    const std::string_view base = prefix == "/" ? std::string_view{} : prefix;
    if (!path.starts_with(base) || (path.size() > base.size() && path[base.size()] != '/'))
        return outcome::fail("the path must start with " + std::string(prefix) + " written without %-escapes");
    path.remove_prefix(base.size());
    if (path.starts_with('/')) path.remove_prefix(1);

    // "<prefix>//x" has no noun: its marker is the prefix's own '/' and the next.
    const bool no_nouns = path.starts_with('/');
    const auto marker = no_nouns ? 0 : path.find("//");
    const std::string_view nouns = path.substr(0, marker);
    request_target out;
    std::string failure;
    if (marker != std::string_view::npos) {
        const bool ok = each_segment(path.substr(no_nouns ? 1 : marker + 2), [&](std::string_view raw) {
            auto arg = decode_segment(raw, "arguments");
            if (!arg) failure = arg.reason();
            else out.args.push_back(std::move(arg).value());
            return bool(arg);
        });
        if (!ok) return outcome::fail(std::move(failure));
    }
    if (nouns.empty()) return outcome::fail(peer_in_path ? "no peer and noun in the path" : "no noun in the path");
    bool peer_pending = peer_in_path;
    const bool ok = each_segment(nouns, [&](std::string_view raw) {
        if (raw.empty()) {
            failure = "an empty segment in the noun (a '/' too many?)";
            return false;
        }
        auto segment = decode_segment(raw, peer_pending ? "peer" : "noun");
        if (!segment) {
            failure = segment.reason();
            return false;
        }
        if (peer_pending) {
            out.peer = std::move(segment).value();
            peer_pending = false;
            return true;
        }
        if (!out.noun.empty()) out.noun += '/';
        out.noun += segment.value();
        return true;
    });
    if (!ok) return outcome::fail(std::move(failure));
    if (out.noun.empty()) return outcome::fail("no noun in the path after the peer");
    return outcome::ok(std::move(out));
}

}  // namespace araldo::plugins::endpoint_http
