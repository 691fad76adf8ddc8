// endpoint-upstream's option table and the settings read from it.
#pragma once

#include <araldo/options.hpp>
#include <araldo/tls.hpp>
#include <araldo/units.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace araldo {
struct global_settings;  // context.hpp
}

namespace araldo::plugins::endpoint_upstream {

inline constexpr std::string_view plugin_id = "endpoint-upstream";

// The service requests go to, split once at start so the client never parses URLs.
struct base_url {
    std::string text;  // as configured, for logs and health
    bool tls = false;  // https
    std::string host;  // without brackets for IPv6
    std::string port;  // "80", "443" or as given
    // The path requests are appended to, without a trailing '/': "" or "/api".
    std::string path;
    std::string host_header;
    // https: the CAs that verify the service (empty: the system store) and a
    // client certificate, if any. Paths only: start() reads the files.
    araldo::tls_client_config tls_files;
};

struct upstream_settings {
    base_url url;
    string_pairs headers;
    araldo::duration timeout = std::chrono::seconds(30);
    std::size_t max_connections = 64;
    std::size_t queue = 1000;
    std::uint64_t max_response_body = 8 * 1024 * 1024;
};

option_table upstream_options();
// Reads validated options; a bad URL, header or tls block fails through
// opts.fail(). Reads no file: start() loads the TLS files.
upstream_settings read_upstream_settings(const araldo::options& opts, const araldo::global_settings& global);

}  // namespace araldo::plugins::endpoint_upstream
