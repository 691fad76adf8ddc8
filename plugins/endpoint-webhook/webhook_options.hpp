// endpoint-webhook's option table and the settings read from it.
#pragma once

#include <araldo/options.hpp>
#include <araldo/tls.hpp>
#include <araldo/units.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace araldo {
struct global_settings;  // context.hpp
}

namespace araldo::plugins::endpoint_webhook {

// Where deliveries go, split once at start so the client never parses URLs.
struct target_url {
    std::string text;    // as configured, for logs
    bool tls = false;    // https
    std::string host;    // without brackets for IPv6
    std::string port;    // "80", "443" or as given
    std::string target;  // path and query, at least "/"
    std::string host_header;
    // https: the CAs that verify the receiver (empty: the system store) and
    // the client certificate, if any. Paths only: start() reads the files.
    araldo::tls_client_config tls_files;
};

enum class body_format { json, form };

struct webhook_settings {
    target_url url;
    body_format format = body_format::json;
    string_pairs headers;
    std::vector<std::string> secrets;  // decoded key bytes, one per configured secret
    araldo::duration timeout = std::chrono::seconds(30);
    std::uint64_t max_response_body = 64 * 1024;
    std::size_t max_in_flight = 4;
    std::vector<araldo::duration> schedule;  // delay before attempt n (1-based: schedule[n-1])
    bool spool = false;
    std::size_t queue_size = 10000;
    bool log_payloads = false;
};

// How much of a body a REQUEST or RESPONSE line shows with log-payloads.
inline constexpr std::size_t logged_body_limit = 1024;

option_table webhook_options();
// Reads validated options; bad URLs, secrets, sizes and tls blocks fail
// through opts.fail(). Reads no file: paths are resolved against the
// config's folder, and loaded by start().
webhook_settings read_webhook_settings(const araldo::options& opts, const araldo::global_settings& global);

}  // namespace araldo::plugins::endpoint_webhook
