#include "http_options.hpp"

#include <araldo/encoding.hpp>
#include <araldo/keys.hpp>

#include <string>

namespace araldo::plugins::endpoint_http {

namespace {

void check_path(const araldo::options& opts, const std::string& path) {
    if (path.empty() || path.front() != '/') opts.fail("path", "must start with /, got \"" + path + "\"", "e.g. /emit");
    if (path.size() > 1 && path.back() == '/')
        opts.fail("path", "must not end with /", "write " + path.substr(0, path.size() - 1));
    if (path.find_first_of("?#% ") != std::string::npos)
        opts.fail("path", "must be a plain path, without ?, #, % or spaces");
    if (path.starts_with("/_"))
        opts.fail("path", "paths starting with /_ are the core's (/_health, /_admin)", "e.g. /emit");
}

void read_auth(const araldo::options& opts, http_settings& s) {
    if (!opts.given("auth")) return;
    const araldo::options& auth = opts.object("auth");
    if (auth.has("tokens")) s.tokens = auth.string_list("tokens");
    if (auth.has("basic")) s.basic = auth.string_list("basic");
    for (const auto& t : s.tokens) {
        if (t.empty()) auth.fail("tokens", "a token cannot be empty", "check the ${VAR} it comes from");
        if (t.find_first_of(" \t\r\n") != std::string::npos) auth.fail("tokens", "a token cannot contain whitespace");
    }
    if (auth.has("client-certs")) s.client_certs = auth.string_list("client-certs");
    for (const auto& name : s.client_certs) {
        if (name.empty()) auth.fail("client-certs", "a name cannot be empty", "a CN such as sender-a, or a SAN name");
    }
    for (const auto& b : s.basic) {
        const auto colon = b.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == b.size())
            auth.fail("basic", "expected user:password", "as in http://sender:secret@host/emit");
    }
    if (!s.auth_required())
        opts.fail("auth", "needs tokens, basic or client-certs", "remove auth to leave the endpoint open");
}

void read_secrets(const araldo::options& opts, http_settings& s) {
    if (!opts.has("verify-signature")) return;
    for (const auto& secret : opts.string_list("verify-signature")) {
        std::string_view text = secret;
        if (text.starts_with("whsec_")) text.remove_prefix(6);
        auto key = base64_decode(text);
        if (!key || key->empty())
            opts.fail("verify-signature", "a secret must be whsec_ followed by base64",
                      "the sender's secret, e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        s.signing_keys.push_back(std::move(*key));
    }
    if (s.signing_keys.empty()) opts.fail("verify-signature", "needs at least one secret");
}

}  // namespace

option_table http_options() {
    using araldo::option_spec;
    using araldo::option_type;
    option_table auth_fields{
        option_spec{"tokens", option_type::string_list, std::nullopt,
                    "bearer tokens accepted in the Authorization header (Bearer scheme)", false},
        option_spec{"basic", option_type::string_list, std::nullopt,
                    "user:password pairs accepted with HTTP Basic authentication", false},
        option_spec{"client-certs", option_type::string_list, std::nullopt,
                    "names accepted from a client certificate that a TLS listener verified: its subject CN or one of "
                    "its SAN DNS names or URIs, matched exactly",
                    false},
    };
    auto keys_file = araldo::keys_file_option();
    keys_file.description =
        "a keys file (relative to the config file's folder): its bearer keys are accepted besides auth, and a "
        "message sent with one carries the key's identity and is addressed within its rights (docs/folders.md#keys); "
        "re-read when it changes or on SIGHUP";
    return {
        option_spec{"path", option_type::string, "/emit",
                    "where requests are accepted on the core listener; a path below it sets the type or the folder "
                    "(path-suffix)",
                    false},
        option_spec{.name = "mode",
                    .type = option_type::string,
                    .default_value = "emit",
                    .description = "emit: a POST becomes a message, answered 202 at once; request: a GET, POST, PUT or "
                                   "DELETE on <path>/<noun>//<arg>/... becomes a request, answered with its reply",
                    .one_of = {"emit", "request"}},
        option_spec{.name = "peer-in-path",
                    .type = option_type::boolean,
                    .default_value = "false",
                    .description = "request mode: the first segment below `path` names the peer (attribute "
                                   "link.peer): <path>/<peer>/<noun>//<arg>/..."},
        option_spec{.name = "timeout",
                    .type = option_type::duration,
                    .default_value = "30s",
                    .description = "request mode: how long a request waits for its reply before it is answered 504",
                    .min = "1ms"},
        option_spec{.name = "max-in-flight",
                    .type = option_type::integer,
                    .default_value = "10000",
                    .description = "request mode: requests awaiting their reply at once; more are answered 503",
                    .min = "1"},
        option_spec{.name = "path-suffix",
                    .type = option_type::string,
                    .default_value = "type",
                    .description = "what a path below `path` sets: the type (/emit/comment-added) or the folder "
                                   "(/emit/acme/greenhouse: the folder /acme/greenhouse)",
                    .one_of = {"type", "folder"}},
        option_spec{.name = "max-body-size",
                    .type = option_type::size,
                    .default_value = "1MiB",
                    .description = "largest request body; larger ones get 413 without being read",
                    .min = "1"},
        option_spec{"auth", option_type::object, std::nullopt,
                    "credentials a request must carry (any one of them); without auth the endpoint is open", false,
                    std::move(auth_fields)},
        option_spec{
            "verify-signature", option_type::string_list, std::nullopt,
            "Standard Webhooks secrets (whsec_ then base64); when set, every request must carry a valid signature",
            false},
        option_spec{.name = "signature-tolerance",
                    .type = option_type::duration,
                    .default_value = "5m",
                    .description = "how far webhook-timestamp may be from the relay's clock, either way",
                    .min = "1ms"},
        std::move(keys_file),
    };
}

http_settings read_http_settings(const araldo::options& opts, const araldo::global_settings* global) {
    http_settings s;
    s.path = opts.string("path");
    check_path(opts, s.path);
    s.suffix = opts.string("path-suffix") == "folder" ? path_suffix::folder : path_suffix::type;
    s.mode = opts.string("mode") == "request" ? http_mode::request : http_mode::emit;
    s.peer_in_path = opts.boolean("peer-in-path");
    s.timeout = opts.duration("timeout");
    s.max_in_flight = static_cast<std::size_t>(opts.integer("max-in-flight"));
    if (s.mode == http_mode::emit) {
        for (const char* request_only : {"peer-in-path", "timeout", "max-in-flight"})
            if (opts.given(request_only)) opts.fail(request_only, "applies to mode: request only", "add mode: request");
    } else if (opts.given("path-suffix")) {
        opts.fail("path-suffix", "applies to mode: emit only", "in request mode the path names the noun");
    }
    s.max_body = opts.size("max-body-size");
    read_auth(opts, s);
    read_secrets(opts, s);
    s.signature_tolerance = opts.duration("signature-tolerance");
    if (global) s.keys_file = araldo::read_keys_file_option(opts, *global);
    return s;
}

}  // namespace araldo::plugins::endpoint_http
