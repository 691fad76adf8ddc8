#include "upstream_options.hpp"

#include "http1_codec.hpp"

#include <araldo/context.hpp>
#include <araldo/http.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace araldo::plugins::endpoint_upstream {

option_table upstream_options() {
    using araldo::option_spec;
    using araldo::option_type;
    auto tls = araldo::tls_client_option("tls");
    tls.description =
        "https: ca (PEM CAs that verify the service; default the system's), cert and key (PEM, a client certificate "
        "for services that require mutual TLS); paths relative to the config file's folder";
    return {
        option_spec{"base-url", option_type::string, std::nullopt,
                    "the service: an http:// or https:// URL without a query; a request for noun `a/b` with args "
                    "[x] goes to <its path>/a/b/x",
                    true},
        option_spec{"headers", option_type::string_map, "{}",
                    "extra request headers, e.g. {Authorization: Bearer x}; names are tokens, values have no CR, LF "
                    "or NUL; Host, User-Agent and Content-Type replace araldo's; the framing ones (Content-Length, "
                    "Transfer-Encoding, Connection, TE, Upgrade, Trailer) are refused",
                    false},
        std::move(tls),
        option_spec{.name = "timeout",
                    .type = option_type::duration,
                    .default_value = "30s",
                    .description = "per upstream request (connect, send, read the response); the request's own "
                                   "deadline bounds it too",
                    .min = "1ms"},
        option_spec{.name = "max-connections",
                    .type = option_type::integer,
                    .default_value = "64",
                    .description = "requests in progress at once, each on its own kept-alive connection",
                    .min = "1",
                    .max = "4096"},
        option_spec{.name = "queue",
                    .type = option_type::integer,
                    .default_value = "1000",
                    .description = "requests waiting for a connection; when full, a new request is answered 503",
                    .min = "0",
                    .max = "1000000"},
        // The whole body is held to become the reply: a bound keeps a runaway
        // service from growing the relay.
        option_spec{.name = "max-response-body",
                    .type = option_type::size,
                    .default_value = "8MiB",
                    .description = "largest response body forwarded; a longer one is answered 502 and its "
                                   "connection closed",
                    .max = "256MiB"},
    };
}

namespace {

// Sent as configured, so checked as configured: a CR or LF in a value would
// add a header (or end the head) on the wire.
string_pairs read_headers(const araldo::options& opts) {
    string_pairs headers = opts.string_map("headers");
    for (const auto& [name, value] : headers) {
        if (!araldo::valid_header_name(name)) {
            opts.fail("headers", "'" + name + "' is not a header name",
                      "a name is letters, digits and !#$%&'*+-.^_`|~ (no spaces, no colon)");
        }
        if (framing_header(name)) {
            opts.fail("headers", name + " is araldo's to write",
                      "the body's length and the connection's keep-alive follow from each request");
        }
        // The value itself stays out of the message: it may be a credential.
        if (!araldo::valid_header_value(value)) {
            opts.fail("headers", "the value of " + name + " holds a CR, LF or NUL",
                      "one line per header value; escape or remove line breaks");
        }
    }
    return headers;
}

base_url parse_base_url(const araldo::options& opts) {
    const std::string& text = opts.string("base-url");
    auto parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed) {
        opts.fail("base-url", "not an absolute URL: " + parsed.error().message(), "e.g. http://127.0.0.1:8080/api");
    }
    boost::urls::url_view u = *parsed;
    base_url b;
    b.text = text;
    std::string scheme = u.scheme();
    if (scheme != "http" && scheme != "https") {
        opts.fail("base-url", "scheme '" + scheme + "' is not supported", "use http:// or https://");
    }
    b.tls = scheme == "https";
    if (u.encoded_host().empty()) opts.fail("base-url", "has no host");
    if (u.has_userinfo()) opts.fail("base-url", "user info in the URL is not sent", "use headers: {Authorization: ...}");
    // Each request brings its own query; two would have to be merged by a rule nobody expects.
    if (u.has_query()) opts.fail("base-url", "has a query", "put fixed parameters in the path or in headers");
    if (u.has_fragment()) opts.fail("base-url", "has a fragment");
    b.host = u.host_type() == boost::urls::host_type::ipv6 ? std::string(u.encoded_host_address())
                                                           : std::string(u.encoded_host());
    b.port = u.has_port() ? std::string(u.port()) : (b.tls ? "443" : "80");
    b.path = std::string(u.encoded_path());
    while (!b.path.empty() && b.path.back() == '/') b.path.pop_back();
    b.host_header = std::string(u.encoded_host_and_port());
    return b;
}

}  // namespace

upstream_settings read_upstream_settings(const araldo::options& opts, const araldo::global_settings& global) {
    upstream_settings s;
    s.url = parse_base_url(opts);
    if (opts.given("tls") && !s.url.tls) opts.fail("tls", "only applies to an https:// base-url");
    if (auto block = araldo::read_tls_client_config(opts, global, "tls")) s.url.tls_files = std::move(*block);
    s.headers = read_headers(opts);
    // The table bounds these.
    s.timeout = opts.duration("timeout");
    s.max_connections = static_cast<std::size_t>(opts.integer("max-connections"));
    s.queue = static_cast<std::size_t>(opts.integer("queue"));
    s.max_response_body = opts.size("max-response-body");
    return s;
}

}  // namespace araldo::plugins::endpoint_upstream
