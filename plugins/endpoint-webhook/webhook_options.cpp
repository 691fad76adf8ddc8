#include "webhook_options.hpp"

#include <araldo/http.hpp>
#include <araldo/signing.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <string>

namespace araldo::plugins::endpoint_webhook {

option_table webhook_options() {
    using araldo::option_spec;
    using araldo::option_type;
    return {
        option_spec{"url", option_type::string, std::nullopt, "where deliveries are POSTed: an http:// or https:// URL",
                    true},
        option_spec{"content-type", option_type::string, "json",
                    "json: the payload is the body; form: payload=<urlencoded payload> as "
                    "application/x-www-form-urlencoded",
                    false},
        option_spec{"headers", option_type::string_map, "{}",
                    "extra request headers, e.g. {Authorization: Bearer x}; names are tokens, values have no CR, LF "
                    "or NUL",
                    false},
        option_spec{"secret", option_type::string_list, "[]",
                    "Standard Webhooks signing secrets (whsec_<base64>); several sign with each, for rotation; "
                    "empty: deliveries are not signed",
                    false},
        option_spec{"ca-file", option_type::string, std::nullopt,
                    "https: a PEM file of the CAs to trust instead of the system store (e.g. a private CA); relative to "
                    "the config file's folder", false},
        option_spec{"timeout", option_type::duration, "30s", "per attempt: connect, send and read the response",
                    false},
        option_spec{"max-response-body", option_type::size, "64KiB",
                    "largest response body read (and discarded); a longer one fails the attempt and closes the "
                    "connection; at most 16MiB",
                    false},
        option_spec{"max-in-flight", option_type::integer, "4",
                    "concurrent requests (each on its own kept-alive connection), at most 1024", false},
        option_spec{"retry-schedule", option_type::duration_list, "[0s, 5s, 5m, 30m, 2h, 5h, 10h, 10h]",
                    "delay before each attempt, the first included; the last failure makes a dead letter; "
                    "delays get +-10% jitter",
                    false},
        option_spec{"spool", option_type::boolean, "false",
                    "write each accepted delivery ahead to data-dir, so a crash (kill -9) loses nothing", false},
        option_spec{"queue-size", option_type::integer, "10000",
                    "deliveries pending (queued, in flight, waiting to retry); when full, new ones are refused "
                    "(the sender hears 503)",
                    false},
    };
}

namespace {

// Each in-flight slot is a coroutine, a timer and a connection.
constexpr std::size_t max_workers = 1024;
// Response bodies are discarded: reading more only costs time and memory.
constexpr std::uint64_t response_body_ceiling = 16 * 1024 * 1024;

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
            opts.fail("headers", "'" + printable(name) + "' is not a header name",
                      "a name is letters, digits and !#$%&'*+-.^_`|~ (no spaces, no colon)");
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

std::size_t positive(const araldo::options& opts, const char* name) {
    std::int64_t v = opts.integer(name);
    if (v < 1) opts.fail(name, "must be at least 1, got " + std::to_string(v));
    return static_cast<std::size_t>(v);
}

}  // namespace

webhook_settings read_webhook_settings(const araldo::options& opts) {
    webhook_settings s;
    s.url = parse_target(opts);
    if (opts.has("ca-file")) {
        s.url.ca_file = opts.string("ca-file");
        if (!s.url.tls) opts.fail("ca-file", "only applies to an https:// url");
    }
    const std::string& format = opts.string("content-type");
    if (format == "json") {
        s.format = body_format::json;
    } else if (format == "form") {
        s.format = body_format::form;
    } else {
        opts.fail("content-type", "must be json or form, got '" + format + "'");
    }
    s.headers = read_headers(opts);
    for (const auto& secret : opts.string_list("secret")) {
        auto key = parse_webhook_secret(secret);
        if (!key) {
            opts.fail("secret", "not a Standard Webhooks secret (whsec_ followed by base64)",
                      "generate one with: echo whsec_$(openssl rand -base64 32)");
        }
        s.secrets.push_back(std::move(*key));
    }
    s.timeout = opts.duration("timeout");
    if (s.timeout.count() <= 0) opts.fail("timeout", "must be positive");
    s.max_response_body = opts.size("max-response-body");
    if (s.max_response_body > response_body_ceiling)
        opts.fail("max-response-body", "at most 16MiB, got " + std::to_string(s.max_response_body));
    s.max_in_flight = positive(opts, "max-in-flight");
    if (s.max_in_flight > max_workers) {
        opts.fail("max-in-flight", "at most " + std::to_string(max_workers) + ", got " + std::to_string(s.max_in_flight),
                  "one receiver rarely takes more than a few dozen connections");
    }
    s.schedule = opts.duration_list("retry-schedule");
    if (s.schedule.empty()) opts.fail("retry-schedule", "needs at least one entry", "[0s] tries once");
    for (auto d : s.schedule)
        if (d.count() < 0) opts.fail("retry-schedule", "delays cannot be negative");
    s.spool = opts.boolean("spool");
    s.queue_size = positive(opts, "queue-size");
    return s;
}

}  // namespace araldo::plugins::endpoint_webhook
