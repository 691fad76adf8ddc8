// endpoint-webhook's option table and the settings read from it.
#pragma once

#include <araldo/options.hpp>
#include <araldo/units.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

// Where deliveries go, split once at start so the client never parses URLs.
struct target_url {
    std::string text;    // as configured, for logs
    bool tls = false;    // https
    std::string host;    // without brackets for IPv6
    std::string port;    // "80", "443" or as given
    std::string target;  // path and query, at least "/"
    std::string host_header;
    std::string ca_file;  // https: trusted CAs (PEM); empty: the system store
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
};

option_table webhook_options();
// Reads validated options; bad URLs, secrets and sizes fail through opts.fail().
webhook_settings read_webhook_settings(const araldo::options& opts);

}  // namespace araldo::plugins::endpoint_webhook
