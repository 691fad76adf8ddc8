#include "ws_auth.hpp"

#include <araldo/encoding.hpp>
#include <araldo/signing.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>

namespace araldo::plugins::endpoint_websocket {

namespace {

std::optional<boost::json::object> json_object(std::string_view text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

// A NumericDate claim (seconds since the epoch, possibly fractional).
std::optional<wall_clock::time_point> numeric_date(const boost::json::object& claims, std::string_view name,
                                                   bool& malformed) {
    const auto* v = claims.if_contains(name);
    if (v == nullptr) return std::nullopt;
    double seconds = 0;
    if (v->is_int64()) seconds = static_cast<double>(v->get_int64());
    else if (v->is_uint64()) seconds = static_cast<double>(v->get_uint64());
    else if (v->is_double() && std::isfinite(v->get_double())) seconds = v->get_double();
    else {
        malformed = true;
        return std::nullopt;
    }
    // Far past or future (year 2255) without overflowing nanoseconds since the epoch.
    seconds = std::clamp(seconds, -9e9, 9e9);
    return wall_clock::time_point{
        std::chrono::duration_cast<wall_clock::duration>(std::chrono::duration<double>(seconds))};
}

auth_result refuse(std::string why) { return auth_result::fail(std::move(why)); }

// A claim that lists strings; false when it is there but is not such a list.
bool string_list_claim(const boost::json::object& claims, std::string_view name, std::vector<std::string>& out,
                       bool& present) {
    const auto* v = claims.if_contains(name);
    if (v == nullptr) return true;
    present = true;
    const auto* list = v->if_array();
    if (list == nullptr) return false;
    for (const auto& e : *list) {
        if (!e.is_string()) return false;
        out.emplace_back(e.get_string());
    }
    return true;
}

bool under(std::string_view folder, std::string_view own) noexcept {
    if (own.empty()) return false;
    if (own == "/") return true;
    return folder.starts_with(own) && (folder.size() == own.size() || folder[own.size()] == '/');
}

}  // namespace

auth_result verify_jwt(std::string_view token, std::string_view secret, wall_clock::time_point now) {
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return refuse("not a JWT");
    const auto header_json = base64url_decode(token.substr(0, dot1));
    const auto header = header_json ? json_object(*header_json) : std::nullopt;
    if (!header) return refuse("malformed JWT header");
    const auto* alg = header->if_contains("alg");
    if (alg == nullptr || !alg->is_string() || alg->get_string() != "HS256")
        return refuse("JWT algorithm must be HS256");
    const auto signature = base64url_decode(token.substr(dot2 + 1));
    if (!signature || !constant_time_equal(*signature, hmac_sha256(secret, token.substr(0, dot2))))
        return refuse("JWT signature does not match");
    const auto claims_json = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
    const auto claims = claims_json ? json_object(*claims_json) : std::nullopt;
    if (!claims) return refuse("malformed JWT claims");
    bool malformed = false;
    const auto exp = numeric_date(*claims, "exp", malformed);
    const auto nbf = numeric_date(*claims, "nbf", malformed);
    if (malformed) return refuse("JWT exp or nbf is not a number");
    if (exp && now >= *exp) return refuse("JWT expired");
    if (nbf && now < *nbf) return refuse("JWT not valid yet");
    client_identity who;
    who.expires = exp;
    if (const auto* sub = claims->if_contains("sub"); sub != nullptr && sub->is_string())
        who.subject = std::string{sub->get_string()};
    std::optional<std::string> folder;
    bool any = false;
    if (const auto* f = claims->if_contains("folder")) {
        any = true;
        if (!f->is_string()) return refuse("JWT claim \"folder\" must be a string");
        folder = std::string{f->get_string()};
    }
    std::vector<std::string> read, write;
    if (!string_list_claim(*claims, "read", read, any) || !string_list_claim(*claims, "write", write, any))
        return refuse("JWT claims \"read\" and \"write\" must be lists of folder globs");
    auto rights = rights_from_claims(folder, read, write, any);
    if (!rights) return refuse("JWT " + rights.reason());
    who.rights = std::move(rights).value();
    return auth_result::ok(std::move(who));
}

std::string_view client_identity::name() const noexcept {
    if (!subject.empty()) return subject;
    for (const auto& [key, value] : tls)
        if (key == "tls.cn") return value;
    return {};
}

bool folder_rights::may_read(std::string_view f) const noexcept {
    return std::any_of(read.begin(), read.end(), [&](const araldo::folder_glob& g) { return g.matches(f); });
}

bool folder_rights::may_write(std::string_view f) const noexcept {
    return under(f, folder) ||
           std::any_of(write.begin(), write.end(), [&](const araldo::folder_glob& g) { return g.matches(f); });
}

araldo::result<std::shared_ptr<const folder_rights>> rights_from_claims(const std::optional<std::string>& folder,
                                                                        const std::vector<std::string>& read,
                                                                        const std::vector<std::string>& write,
                                                                        bool any_claim) {
    using result = araldo::result<std::shared_ptr<const folder_rights>>;
    if (!any_claim) return result::ok(nullptr);
    auto rights = std::make_shared<folder_rights>();
    if (folder) {
        if (auto ok = araldo::valid_folder(*folder); !ok) return result::fail("claim \"folder\": " + ok.reason());
        rights->folder = *folder;
    }
    const auto compile = [](const std::vector<std::string>& globs, std::vector<araldo::folder_glob>& out,
                            std::string_view claim) -> std::optional<std::string> {
        for (const auto& g : globs) {
            auto c = araldo::folder_glob::compile(g);
            if (!c) return "claim \"" + std::string{claim} + "\": " + c.reason();
            out.push_back(std::move(c).value());
        }
        return std::nullopt;
    };
    if (auto bad = compile(read, rights->read, "read")) return result::fail(std::move(*bad));
    if (auto bad = compile(write, rights->write, "write")) return result::fail(std::move(*bad));
    return result::ok(std::move(rights));
}

std::optional<std::string> request_token(const http_request& req) {
    if (const auto h = req.header("authorization")) {
        std::string_view v = *h;
        if (v.size() > 7 && (v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) {
            v.remove_prefix(7);
            while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
            while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
            return std::string{v};
        }
    }
    return req.query_param("token");
}

auth_result authenticate(const http_request& req, const std::vector<std::string>& tokens, std::string_view jwt_secret,
                         wall_clock::time_point now) {
    const auto token = request_token(req);
    if (!token || token->empty()) return refuse("missing token");
    for (const auto& t : tokens) {
        // Constant time for equal lengths: only a token's length can leak.
        if (constant_time_equal(t, *token)) return auth_result::ok({});
    }
    if (jwt_secret.empty()) return refuse("invalid token");
    return verify_jwt(*token, jwt_secret, now);
}

auth_result check_client_certificate(const http_request& req, const std::vector<std::string>& allowed) {
    if (!req.tls || !req.tls->peer) return refuse("a client certificate is required");
    const auto& peer = *req.tls->peer;
    const auto listed = [&](const std::string& name) {
        return !name.empty() && std::find(allowed.begin(), allowed.end(), name) != allowed.end();
    };
    if (listed(peer.cn) || std::any_of(peer.san.begin(), peer.san.end(), listed)) return auth_result::ok({});
    const auto& who = !peer.cn.empty() ? peer.cn : !peer.san.empty() ? peer.san.front() : std::string{"(unnamed)"};
    return refuse("client certificate " + who + " is not allowed");
}

auth_result authenticate(const http_request& req, const std::vector<std::string>& tokens, std::string_view jwt_secret,
                         const std::vector<std::string>& client_certs, wall_clock::time_point now) {
    if (client_certs.empty()) return authenticate(req, tokens, jwt_secret, now);
    auto by_cert = check_client_certificate(req, client_certs);
    if (by_cert || (tokens.empty() && jwt_secret.empty())) return by_cert;
    const auto token = request_token(req);
    if (token && !token->empty()) return authenticate(req, tokens, jwt_secret, now);
    // Neither credential came: say what a certificate lacked, or that neither is there.
    if (req.tls && req.tls->peer) return by_cert;
    return refuse("missing token or client certificate");
}

}  // namespace araldo::plugins::endpoint_websocket
