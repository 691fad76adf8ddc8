// The WebSocket opening handshake (plugins/endpoint-websocket/ws_handshake.cpp)
// and the token lookup in front of it (ws_auth.cpp), on a request as the
// listener hands it over: lower-case header names, raw query, any bytes the
// HTTP parser lets through in values.
//
// Input: the first line is the query string, each further line "name:value".
// A line "~tls:CN SAN SAN..." makes the request one that came over TLS with a
// verified client certificate of those names ("~tls:" alone: TLS, no certificate).
#include "fuzz_check.hpp"
#include "ws_auth.hpp"
#include "ws_handshake.hpp"

#include <araldo/encoding.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ws = araldo::plugins::endpoint_websocket;

namespace {

araldo::http_request parse_input(std::string_view in) {
    araldo::http_request req;
    req.method = "GET";
    req.path = "/ws";
    std::size_t line = 0;
    while (!in.empty()) {
        const auto nl = in.find('\n');
        const std::string_view l = in.substr(0, nl);
        in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
        if (line++ == 0) {
            req.query = std::string(l);
            req.target = "/ws?" + req.query;
            continue;
        }
        if (l.starts_with("~tls:")) {
            auto info = std::make_shared<araldo::tls_info>();
            std::string_view names = l.substr(5);
            if (!names.empty()) {
                araldo::tls_peer peer;
                const auto sp = names.find(' ');
                peer.cn = std::string(names.substr(0, sp));
                names = sp == std::string_view::npos ? std::string_view{} : names.substr(sp + 1);
                while (!names.empty()) {
                    const auto next = names.find(' ');
                    peer.san.emplace_back(names.substr(0, next));
                    names = next == std::string_view::npos ? std::string_view{} : names.substr(next + 1);
                }
                info->peer = std::move(peer);
            }
            req.tls = std::move(info);
            continue;
        }
        const auto colon = l.find(':');
        std::string name{l.substr(0, colon)};
        for (auto& c : name)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        req.headers.emplace_back(std::move(name), colon == std::string_view::npos ? "" : l.substr(colon + 1));
    }
    return req;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto req = parse_input({reinterpret_cast<const char*>(data), size});

    const auto refusal = ws::check_handshake(req);
    if (refusal) FUZZ_CHECK(refusal->status == 400 || refusal->status == 426);
    if (const auto key = req.header("sec-websocket-key")) {
        const auto accept = ws::accept_key(*key);
        if (!refusal) FUZZ_CHECK(accept.has_value());
        if (accept) {
            // SHA-1 in base64: 28 characters, so the 101 never carries client bytes.
            FUZZ_CHECK(accept->size() == 28 && araldo::base64_decode(*accept).has_value());
            const auto reply = ws::switching_protocols(*accept);
            FUZZ_CHECK(reply.ends_with("\r\n\r\n") && reply.find("\r\n\r\n") == reply.size() - 4);
        }
    }

    const std::vector<std::string> none, any{"*"}, listed{"https://example.com", " http://localhost:8080 "};
    const bool same_host = ws::origin_allowed(req, none);
    (void)same_host;
    FUZZ_CHECK(ws::origin_allowed(req, any));
    const bool in_list = ws::origin_allowed(req, listed);
    if (!req.header("origin")) FUZZ_CHECK(in_list);

    const auto token = ws::request_token(req);
    const std::vector<std::string> tokens{"static-token"};
    const auto now = ws::wall_clock::time_point{std::chrono::seconds{1'700'000'000}};
    const auto a = ws::authenticate(req, tokens, "jwt-secret", now);
    if (a) FUZZ_CHECK(token.has_value() && !token->empty());
    if (token && *token == "static-token") FUZZ_CHECK(static_cast<bool>(a));
    const auto b = ws::authenticate(req, tokens, "", now);
    if (b) FUZZ_CHECK(token && *token == "static-token");

    // client-certs: a listed name in a verified certificate is enough, and
    // without one only what the token alone would accept is.
    const std::vector<std::string> certs{"client-a"};
    const auto& peer = req.tls ? req.tls->peer : std::optional<araldo::tls_peer>{};
    const bool named = peer && (peer->cn == "client-a" ||
                                std::find(peer->san.begin(), peer->san.end(), "client-a") != peer->san.end());
    FUZZ_CHECK(static_cast<bool>(ws::check_client_certificate(req, certs)) == named);
    FUZZ_CHECK(static_cast<bool>(ws::authenticate(req, {}, "", certs, now)) == named);
    const auto c = ws::authenticate(req, tokens, "jwt-secret", certs, now);
    FUZZ_CHECK(static_cast<bool>(c) == (named || static_cast<bool>(a)));
    return 0;
}
