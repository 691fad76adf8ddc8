#include "redis_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>
#include <optional>

namespace araldo::plugins::endpoint_redis {

namespace {

const char* const url_forms =
    "redis://[user:password@]host:port[/db], rediss://... for TLS, or unix:///path/to/redis.sock[?db=N]";

bool parse_int(std::string_view text, std::int64_t& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

// Fills user and password from the userinfo part, if any.
std::optional<url_error> read_credentials(const boost::urls::url_view& u, redis_address& a) {
    if (!u.has_userinfo()) return std::nullopt;
    if (!u.has_password()) {
        return url_error{"a user without a password",
                         "write redis://:password@host for requirepass, redis://user:password@host for an ACL user"};
    }
    a.user = u.user();
    a.password = u.password();
    if (a.password.empty()) return url_error{"empty password", "leave out user:password@ when Redis needs none"};
    return std::nullopt;
}

std::optional<url_error> read_db(std::string_view text, redis_address& a) {
    if (text.empty()) return std::nullopt;
    if (!parse_int(text, a.db) || a.db < 0) {
        return url_error{"database '" + std::string(text) + "' is not a number",
                         "redis://host:6379/2 selects database 2"};
    }
    return std::nullopt;
}

std::optional<url_error> read_tcp(const boost::urls::url_view& u, redis_address& a) {
    a.host = u.host_address();
    if (a.host.empty()) return url_error{"no host", url_forms};
    if (u.has_port()) {
        std::int64_t port = 0;
        if (!parse_int(u.port(), port) || port < 1 || port > 65535) {
            return url_error{"port '" + std::string(u.port()) + "' is out of range", "the default is 6379"};
        }
        a.port = static_cast<std::uint16_t>(port);
    }
    std::string_view path = u.encoded_path();
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    return read_db(path, a);
}

std::optional<url_error> read_unix(const boost::urls::url_view& u, redis_address& a) {
    a.unix_socket = true;
    a.path = u.path();
    if (a.path.empty() || a.path.front() != '/') return url_error{"no socket path", "unix:///run/redis/redis.sock"};
    for (auto param : u.params()) {
        if (param.key != "db") return url_error{"unknown parameter '" + param.key + "'", "only ?db=N is understood"};
        if (auto e = read_db(param.value, a)) return e;
    }
    return std::nullopt;
}

}  // namespace

std::string redis_address::display() const {
    std::string s = unix_socket ? "unix://" + path
                                : (tls ? "rediss://" : "redis://") +
                                      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                                      std::to_string(port);
    if (db != 0) s += unix_socket ? "?db=" + std::to_string(db) : "/" + std::to_string(db);
    return s;
}

std::variant<redis_address, url_error> parse_redis_url(std::string_view url) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return url_error{"not a URL: " + parsed.error().message(), url_forms};
    const boost::urls::url_view& u = *parsed;
    redis_address a;
    std::string scheme(u.scheme());
    if (scheme != "redis" && scheme != "rediss" && scheme != "unix")
        return url_error{"unknown scheme '" + scheme + "'", url_forms};
    if (auto e = read_credentials(u, a)) return *e;
    a.tls = scheme == "rediss";
    auto e = scheme == "unix" ? read_unix(u, a) : read_tcp(u, a);
    if (e) return *e;
    return a;
}

}  // namespace araldo::plugins::endpoint_redis
