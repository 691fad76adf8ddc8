// What a request-mode URL asks, sans-I/O: `<prefix>/<noun...>//<arg>/<arg>`
// (with peer-in-path, `<prefix>/<peer>/<noun...>//...`). Parsed from the raw
// target, segment by segment, so an escaped '/' (%2F) stays inside its noun
// segment or argument instead of splitting it.
#pragma once

#include <araldo/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_http {

struct request_target {
    std::string peer;               // with peer-in-path only
    std::string noun;               // decoded segments joined with '/': "files/report"
    std::vector<std::string> args;  // decoded, after "//"; "x//" has one empty argument
};

// `target` is the request target as sent (path and query); `prefix` the
// endpoint's path ("/" or "/api", never escaped). Fails with the reason for a
// 400: a target that does not start with the prefix as written, a bad %-escape,
// a segment that decodes to invalid UTF-8 or holds NUL, an empty noun segment,
// no noun, or (with `peer_in_path`) no peer.
araldo::result<request_target> parse_request_target(std::string_view target, std::string_view prefix,
                                                    bool peer_in_path);

}  // namespace araldo::plugins::endpoint_http
