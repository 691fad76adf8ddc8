// Where an endpoint-redis connects, parsed from its `url` option.
//
// redis://[user:password@]host[:port][/db], the same with rediss:// for TLS,
// or unix://[user:password@]/path[?db=N].
// Parsing is separate from the option table so it can be tested without a config.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace araldo::plugins::endpoint_redis {

struct redis_address {
    bool unix_socket = false;
    bool tls = false;  // rediss://
    std::string host;  // tcp: name or address (IPv6 without brackets)
    std::uint16_t port = 6379;
    std::string path;      // unix: the socket's path
    std::string user;      // empty: AUTH with the password alone (requirepass)
    std::string password;  // empty: no AUTH
    std::int64_t db = 0;   // SELECTed when not 0

    // For logs and health: never shows the password.
    std::string display() const;
};

struct url_error {
    std::string what;
    std::string hint;
};

std::variant<redis_address, url_error> parse_redis_url(std::string_view url);

}  // namespace araldo::plugins::endpoint_redis
