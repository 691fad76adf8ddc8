// endpoint-http's option table and the settings read from it.
#pragma once

#include <araldo/context.hpp>
#include <araldo/options.hpp>
#include <araldo/units.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace araldo::plugins::endpoint_http {

// What the path below `path` names: the type (/emit/comment-added) or the
// folder (/emit/acme/greenhouse addresses /acme/greenhouse). One or the
// other per endpoint, so a URL never has to be guessed at.
enum class path_suffix { type, folder };

// emit: a POST becomes a message and is answered 202 at once. request: a
// GET/POST/PUT/DELETE becomes a request message and is answered with the
// reply a responder sends back (include/araldo/request.hpp).
enum class http_mode { emit, request };

struct http_settings {
    std::string path = "/emit";  // registered as a prefix: "/emit" and "/emit/<suffix>"
    http_mode mode = http_mode::emit;
    bool peer_in_path = false;                               // request mode: <path>/<peer>/<noun>...
    araldo::duration timeout = std::chrono::seconds(30);     // request mode: how long a reply may take
    std::size_t max_in_flight = 10000;                       // request mode: requests awaiting a reply
    path_suffix suffix = path_suffix::type;
    std::uint64_t max_body = 1024 * 1024;   // larger bodies: 413 from the listener
    std::vector<std::string> tokens;        // accepted bearer tokens
    std::vector<std::string> basic;         // accepted "user:password" pairs
    std::vector<std::string> client_certs;  // accepted certificate names (CN or SAN)
    std::vector<std::string> signing_keys;  // decoded Standard Webhooks secrets
    araldo::duration signature_tolerance = std::chrono::minutes(5);
    // Bearer keys with identities, resolved against the config's folder; read in start().
    std::optional<std::filesystem::path> keys_file;

    bool auth_required() const { return !tokens.empty() || !basic.empty() || !client_certs.empty() || keys_file; }
};

option_table http_options();
// Reads validated options. Throws config_error (through opts.fail) for a
// path the listener cannot take, an empty auth section, or a secret that is
// not base64. `global` resolves keys-file; without it keys-file is not read.
http_settings read_http_settings(const araldo::options& opts, const araldo::global_settings* global = nullptr);

}  // namespace araldo::plugins::endpoint_http
