// What endpoint-upstream sends for a request message and what it answers,
// without sockets: the request target built from the noun, args and query,
// and the reply made from what the service said (or why it said nothing).
#pragma once

#include <araldo/request.hpp>
#include <araldo/result.hpp>

#include <string>
#include <string_view>

namespace araldo::plugins::endpoint_upstream {

// One HTTP request to the service, in plain types.
struct upstream_call {
    std::string method;  // GET, POST, PUT or DELETE
    std::string target;  // "/api/files/report/a%2Fb?x=1": path and query
    std::string content_type;
};

// `base_path` is the base URL's path without its trailing '/'. Fails, with a
// reason for the caller, on a method that is not forwarded and on a noun or
// arg that is "." or ".." (a service resolving those would be asked for
// something outside the base path).
araldo::result<upstream_call> make_call(std::string_view base_path, const araldo::request_view& req);

// The query as it may stand in a request line: bytes a request target cannot
// hold (controls, space, '#', non-ASCII) percent-encoded, the rest as sent.
std::string target_query(std::string_view raw);

// Why the service gave no answer.
enum class failure {
    none,
    unreachable,  // resolve or connect failed: nothing was sent
    broken,       // the connection failed after it was open (reset, closed early, malformed response)
    timeout,      // no whole response within the timeout
    too_large,    // the response body was over max-response-body
};

// What one exchange with the service came to.
struct upstream_outcome {
    failure failed = failure::none;
    std::string what;  // why, when failed
    unsigned status = 0;
    std::string content_type;
    std::string body;
};

// The answer for the caller: the service's status, content type and body
// with return code 0, or reply::exception (502) naming the failure:
// class upstream_unreachable / upstream_error / upstream_timeout, return
// codes 1, 1 and 2 (docs in README.md).
araldo::reply to_reply(upstream_outcome o);

// The metric label of an outcome: ok, unreachable, error, timeout, too_large.
std::string_view outcome_label(failure f);

}  // namespace araldo::plugins::endpoint_upstream
