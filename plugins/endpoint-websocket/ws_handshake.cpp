#include "ws_handshake.hpp"

#include <araldo/encoding.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace araldo::plugins::endpoint_websocket {

namespace {

constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// "https://Example.com:443" and "example.com:443" compare as host:port; the
// scheme's default port is implied when none is written.
std::string authority_of_origin(std::string_view origin) {
    std::string_view scheme_default = "";
    if (origin.starts_with("http://")) scheme_default = ":80";
    if (origin.starts_with("https://")) scheme_default = ":443";
    const auto p = origin.find("://");
    std::string out{p == std::string_view::npos ? origin : origin.substr(p + 3)};
    if (out.find(':') == std::string::npos || out.back() == ']') out += scheme_default;
    std::transform(out.begin(), out.end(), out.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

std::optional<std::string> accept_key(std::string_view client_key) {
    client_key = araldo::trim_ows(client_key);
    // RFC 6455: the base64 of 16 random bytes.
    if (const auto raw = base64_decode(client_key); !raw || raw->size() != 16) return std::nullopt;
    std::string input{client_key};
    input.append(guid);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_len = 0;
    if (EVP_Digest(input.data(), input.size(), digest.data(), &digest_len, EVP_sha1(), nullptr) != 1)
        return std::nullopt;
    return base64_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest_len));
}

std::optional<http_response> check_handshake(const http_request& req) {
    const auto version = req.header("sec-websocket-version");
    if (!version || araldo::trim_ows(*version) != "13") {
        auto r = http_response::error(426, "WebSocket version 13 required");
        r.headers.emplace_back("Upgrade", "websocket");  // RFC 9110: a 426 names the protocol to use
        r.headers.emplace_back("Sec-WebSocket-Version", "13");
        return r;
    }
    const auto key = req.header("sec-websocket-key");
    if (!key || !accept_key(*key)) return http_response::error(400, "missing or malformed Sec-WebSocket-Key");
    return std::nullopt;
}

std::string switching_protocols(std::string_view accept) {
    std::string out =
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Server: araldo\r\n"
        "Sec-WebSocket-Accept: ";
    out.append(accept);
    out += "\r\n\r\n";
    return out;
}

bool origin_allowed(const http_request& req, const std::vector<std::string>& allowed) {
    const auto origin = req.header("origin");
    if (!origin) return true;  // not a browser: Origin proves nothing for other clients
    const std::string_view o = araldo::trim_ows(*origin);
    if (allowed.empty()) {
        const auto host = req.header("host");
        if (!host) return false;
        // The Host header has no scheme; give it the origin's so default ports match.
        const std::string_view scheme = o.substr(0, o.find("://") + 3);
        return authority_of_origin(o) == authority_of_origin(std::string{scheme} + std::string{araldo::trim_ows(*host)});
    }
    for (const auto& a : allowed)
        if (a == "*" || araldo::ascii_iequals(araldo::trim_ows(a), o)) return true;
    return false;
}

}  // namespace araldo::plugins::endpoint_websocket
