// How the listener writes a reply: its own serializer rather than Beast's, so
// that the replies to a batch of pipelined requests can be appended to one
// string and written at once. Private to core/http.
#pragma once

#include <araldo/http.hpp>

#include <string>

namespace araldo::detail {

struct reply_to {
    unsigned version = 11;
    bool keep_alive = false;
    bool head = false;  // HEAD: headers (with the body's length) but no body
};

// Appends the status line, headers and body of `r` to `out`, byte for byte
// what Beast's serializer wrote for the same reply.
void append_response(std::string& out, const reply_to& reply, const http_response& r);

}  // namespace araldo::detail
