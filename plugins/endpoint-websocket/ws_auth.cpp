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
    auto rights = rights_from_claims(who.subject, folder, read, write, any);
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

araldo::result<std::shared_ptr<const araldo::key_identity>> rights_from_claims(const std::string& sub,
                                                                               const std::optional<std::string>& folder,
                                                                               const std::vector<std::string>& read,
                                                                               const std::vector<std::string>& write,
                                                                               bool any_claim) {
    using result = araldo::result<std::shared_ptr<const araldo::key_identity>>;
    if (!any_claim) return result::ok(nullptr);
    // Rights belong to someone: the same rule as a keys file's identity.
    if (sub.empty()) return result::fail("folder claims need a \"sub\" naming who holds them");
    auto made = araldo::key_identity::make(sub, folder.value_or(""), read, write);
    if (!made) return result::fail("claim " + made.reason());
    return result::ok(std::make_shared<const araldo::key_identity>(std::move(made).value()));
}

std::optional<auth_result> authenticate_key(const http_request& req,
                                            const std::shared_ptr<const araldo::key_store>& keys) {
    if (!keys) return std::nullopt;
    const auto token = request_token(req);
    if (!token || token->empty()) return std::nullopt;
    const auto* entry = keys->match(*token);
    if (entry == nullptr) return std::nullopt;
    if (!entry->active()) return refuse("revoked key");
    client_identity who;
    who.subject = entry->identity.name;
    who.key_id = entry->id;
    // Shares the store's entry: the snapshot lives as long as a client uses it.
    who.rights = std::shared_ptr<const araldo::key_identity>(keys, &entry->identity);
    return auth_result::ok(std::move(who));
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
