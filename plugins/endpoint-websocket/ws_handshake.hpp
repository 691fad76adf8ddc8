// The opening handshake (RFC 6455 section 4.2), decided on the plain request
// the listener parsed: who may upgrade, and the 101 response bytes.
#pragma once

#include <araldo/http.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key; nullopt when the key
// is not the base64 form of 16 bytes.
std::optional<std::string> accept_key(std::string_view client_key);

// 400 (no or bad key) or 426 (a version other than 13), else nullopt.
std::optional<http_response> check_handshake(const http_request& req);

// The complete 101 response.
std::string switching_protocols(std::string_view accept);

// An Origin header, when present, must be listed (or the list be "*"); with an
// empty list it must name the same host and port as the Host header.
bool origin_allowed(const http_request& req, const std::vector<std::string>& allowed);

}  // namespace araldo::plugins::endpoint_websocket
