#include "webhook_options.hpp"

#include <araldo/context.hpp>
#include <araldo/http.hpp>
#include <araldo/signing.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <string>

namespace araldo::plugins::endpoint_webhook {

namespace {

// The SDK's block, with what it means for a webhook.
araldo::option_spec https_option(araldo::option_spec spec) {
    spec.description =
        "https: ca (PEM CAs that verify the receiver; default the system's), cert and key (PEM, the client "
        "certificate for receivers that require mutual TLS); paths relative to the config file's folder";
    return spec;
}

}  // namespace

option_table webhook_options() {
    using araldo::option_spec;
    using araldo::option_type;
    return {
        option_spec{"url", option_type::string, std::nullopt, "where deliveries are POSTed: an http:// or https:// URL",
                    true},
        option_spec{.name = "content-type",
                    .type = option_type::string,
                    .default_value = "json",
                    .description = "json: the payload is the body; form: payload=<urlencoded payload> as "
                                   "application/x-www-form-urlencoded",
                    .one_of = {"json", "form"}},
        option_spec{"headers", option_type::string_map, "{}",
                    "extra request headers, e.g. {Authorization: Bearer x}; names are tokens, values have no CR, LF "
                    "or NUL",
                    false},
        option_spec{"secret", option_type::string_list, "[]",
                    "Standard Webhooks signing secrets (whsec_<base64>); several sign with each, for rotation; "
                    "empty: deliveries are not signed",
                    false},
        // Kept from before the tls block, so existing configs keep working.
        option_spec{"ca-file", option_type::string, std::nullopt,
                    "https: the older name of tls.ca (a PEM file of the CAs to trust instead of the system store); "
                    "not beside tls.ca",
                    false},
        https_option(araldo::tls_client_option("tls")),
        option_spec{.name = "timeout",
                    .type = option_type::duration,
                    .default_value = "30s",
                    .description = "per attempt: connect, send and read the response",
                    .min = "1ms"},
        // Response bodies are discarded: reading more only costs time and memory.
        option_spec{.name = "max-response-body",
                    .type = option_type::size,
                    .default_value = "64KiB",
                    .description = "largest response body read (and discarded); a longer one fails the attempt and "
                                   "closes the connection",
                    .max = "16MiB"},
        // Each in-flight slot is a coroutine, a timer and a connection.
        option_spec{.name = "max-in-flight",
                    .type = option_type::integer,
                    .default_value = "4",
                    .description = "concurrent requests (each on its own kept-alive connection); one receiver rarely "
                                   "needs more than a few dozen",
                    .min = "1",
                    .max = "1024"},
        option_spec{"retry-schedule", option_type::duration_list, "[0s, 5s, 5m, 30m, 2h, 5h, 10h, 10h]",
                    "delay before each attempt, the first included; the last failure makes a dead letter; "
                    "delays get +-10% jitter",
                    false},
        option_spec{"spool", option_type::boolean, "false",
                    "write each accepted delivery ahead to data-dir, so a crash (kill -9) loses nothing", false},
        option_spec{.name = "queue-size",
                    .type = option_type::integer,
                    .default_value = "10000",
                    .description = "deliveries pending (queued, in flight, waiting to retry); when full, new ones "
                                   "are refused (the sender hears 503)",
                    .min = "1"},
        option_spec{"log-payloads", option_type::boolean, "false",
                    "REQUEST lines carry the body sent and RESPONSE lines the body received, each cut at 1 KiB with "
                    "secrets masked (token, secret, password, key fields)"},
    };
}

namespace {

// For error messages: a name may hold the very bytes that are wrong with it.
std::string printable(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (char c : s.substr(0, 64)) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f && c != '\\') {
            out += c;
        } else {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xF];
        }
    }
    return out;
}

// Sent as configured, so checked as configured: a CR or LF in a value would
// add a header (or end the head) on the wire.
string_pairs read_headers(const araldo::options& opts) {
    string_pairs headers = opts.string_map("headers");
    for (const auto& [name, value] : headers) {
        if (!araldo::valid_header_name(name)) {
            // Appended, not "'" + ...: g++ 12 -O2 sees a false overlap (-Wrestrict) there.
            std::string what = "'";
            what += printable(name);
            what += "' is not a header name";
            opts.fail("headers", what, "a name is letters, digits and !#$%&'*+-.^_`|~ (no spaces, no colon)");
        }
        if (!araldo::valid_header_value(value)) {
            // The value itself stays out of the message: it may be a credential.
            opts.fail("headers", "the value of " + name + " holds a CR, LF or NUL",
                      "one line per header value; escape or remove line breaks");
        }
    }
    return headers;
}

target_url parse_target(const araldo::options& opts) {
    const std::string& text = opts.string("url");
    auto parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed) opts.fail("url", "not an absolute URL: " + parsed.error().message(), "e.g. https://example.com/hook");
    boost::urls::url_view u = *parsed;
    target_url t;
    t.text = text;
    std::string scheme = u.scheme();
    if (scheme != "http" && scheme != "https") {
        opts.fail("url", "scheme '" + scheme + "' is not supported", "use http:// or https://");
    }
    t.tls = scheme == "https";
    if (u.encoded_host().empty()) opts.fail("url", "has no host");
    if (u.has_userinfo()) opts.fail("url", "user info in the URL is not sent", "use headers: {Authorization: ...}");
    t.host = u.host_type() == boost::urls::host_type::ipv6 ? std::string(u.encoded_host_address())
                                                           : std::string(u.encoded_host());
    t.port = u.has_port() ? std::string(u.port()) : (t.tls ? "443" : "80");
    t.target = std::string(u.encoded_path());
    // Appending characters rather than one-character literals: g++ 12 -O2
    // warns falsely about those (-Wrestrict, PR105651).
    if (t.target.empty()) t.target.push_back('/');
    if (u.has_query()) {
        t.target.push_back('?');
        t.target.append(u.encoded_query());
    }
    t.host_header = std::string(u.encoded_host_and_port());
    return t;
}

// `ca-file` is `tls.ca` by its older name: both at once would leave one of
// them ignored, so that is an error rather than a guess.
void read_tls(const araldo::options& opts, const araldo::global_settings& global, target_url& url) {
    for (const char* name : {"ca-file", "tls"}) {
        if (opts.given(name) && !url.tls) opts.fail(name, "only applies to an https:// url");
    }
    if (auto block = araldo::read_tls_client_config(opts, global, "tls")) url.tls_files = std::move(*block);
    if (!opts.given("ca-file")) return;
    if (opts.given("tls") && opts.object("tls").given("ca"))
        opts.fail("ca-file", "is tls.ca by another name, and tls has a ca too", "keep tls: {ca: ...} only");
    url.tls_files.ca = araldo::resolve_config_path(global, opts.string("ca-file"));
}

}  // namespace

webhook_settings read_webhook_settings(const araldo::options& opts, const araldo::global_settings& global) {
    webhook_settings s;
    s.url = parse_target(opts);
    read_tls(opts, global, s.url);
    const std::string& format = opts.string("content-type");
    s.format = format == "form" ? body_format::form : body_format::json;  // one of the two: the table says so
    s.headers = read_headers(opts);
    for (const auto& secret : opts.string_list("secret")) {
        auto key = parse_webhook_secret(secret);
        if (!key) {
            opts.fail("secret", "not a Standard Webhooks secret (whsec_ followed by base64)",
                      "generate one with: echo whsec_$(openssl rand -base64 32)");
        }
        s.secrets.push_back(std::move(*key));
    }
    // The table bounds timeout, max-response-body, max-in-flight and queue-size.
    s.timeout = opts.duration("timeout");
    s.max_response_body = opts.size("max-response-body");
    s.max_in_flight = static_cast<std::size_t>(opts.integer("max-in-flight"));
    s.schedule = opts.duration_list("retry-schedule");
    if (s.schedule.empty()) opts.fail("retry-schedule", "needs at least one entry", "[0s] tries once");
    s.spool = opts.boolean("spool");
    s.queue_size = static_cast<std::size_t>(opts.integer("queue-size"));
    s.log_payloads = opts.boolean("log-payloads");
    return s;
}

}  // namespace araldo::plugins::endpoint_webhook
