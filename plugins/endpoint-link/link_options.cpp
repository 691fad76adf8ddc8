#include "link_options.hpp"

#include <charconv>

namespace araldo::plugins::endpoint_link {

namespace {

using araldo::option_spec;
using araldo::option_type;

// A link is kept up for good: the wait between attempts may grow longer than
// the SDK's default bound before it stops growing.
option_spec reconnect_option() {
    option_spec spec = araldo::backoff_option("reconnect");
    for (auto& f : spec.fields)
        if (f.name == "max") f.default_value = "30s";
    spec.description = "client: the wait between attempts to dial, exponential with full jitter; it never gives up";
    return spec;
}

void read_url(const araldo::options& opts, link_settings& s) {
    constexpr std::string_view scheme = "wss://";
    const std::string_view url = opts.string("connect");
    if (!url.starts_with(scheme)) opts.fail("connect", "must start with wss://", "e.g. wss://hub.example:8443/link");
    std::string_view rest = url.substr(scheme.size());
    const auto slash = rest.find('/');
    s.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    const std::string_view authority = rest.substr(0, slash);
    std::string_view host = authority;
    std::string_view port = "443";
    if (authority.starts_with('[')) {  // [::1]:8443
        const auto close = authority.find(']');
        if (close == std::string_view::npos) opts.fail("connect", "unclosed '[' in the host");
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') opts.fail("connect", "expected ':' after ']'");
            port = authority.substr(close + 2);
        }
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    unsigned number = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (host.empty()) opts.fail("connect", "has no host");
    if (ec != std::errc{} || end != port.data() + port.size() || number == 0 || number > 65535)
        opts.fail("connect", "the port must be a number from 1 to 65535");
    if (s.path.find_first_of("?# ") != std::string::npos)
        opts.fail("connect", "the path may carry no query or fragment");
    s.url = std::string(url);
    s.host = std::string(host);
    s.port = std::string(port);
}

}  // namespace

araldo::option_table link_options() {
    option_spec tls = araldo::tls_client_option("tls");
    tls.description += ". client: ca verifies the hub, cert and key are the certificate the hub knows this relay by";
    return {
        {.name = "connect",
         .type = option_type::string,
         .description = "client role: the hub's link URL, wss://host:port/path (exactly one of connect and accept)"},
        {.name = "accept",
         .type = option_type::string,
         .description = "server role (hub): the path clients dial, served on the core's listeners; put it on a TLS "
                        "listener with client-certs: required"},
        tls,
        {.name = "peer-name",
         .type = option_type::string,
         .description = "client: the link.peer attribute of what arrives from the hub; default: the hub's host"},
        {.name = "peers",
         .type = option_type::string_map,
         .default_value = "{}",
         .description = "server: a name per client certificate CN (CN: name); a CN not listed is known by itself"},
        reconnect_option(),
        {.name = "connect-timeout",
         .type = option_type::duration,
         .default_value = "10s",
         .description = "client: one attempt to connect, handshake TLS and upgrade",
         .min = "1ms"},
        {.name = "heartbeat",
         .type = option_type::duration,
         .default_value = "10s",
         .description = "a WebSocket ping to the far side this often",
         .min = "10ms"},
        {.name = "heartbeat-timeout",
         .type = option_type::duration,
         .description = "a far side silent this long is dropped (and redialled by the client); default: 3 heartbeats",
         .min = "10ms"},
        {.name = "send-queue",
         .type = option_type::integer,
         .default_value = "4096",
         .description = "messages waiting to go out on one link; full: an event is dropped, a request answered 503",
         .min = "1",
         .max = "1000000"},
        {.name = "max-message-size",
         .type = option_type::size,
         .default_value = "16MiB",
         .description = "largest frame taken from the far side; larger closes the link with 1009 (at least 64KiB: "
                        "frames that wait together travel as one batch of up to 64KiB)",
         .min = "64KiB",
         .max = "1GiB"},
    };
}

link_settings read_link_settings(const araldo::options& opts, const araldo::global_settings& global) {
    link_settings s;
    const bool client = opts.has("connect");
    const bool server = opts.has("accept");
    if (client == server)
        opts.fail(client ? "accept" : "connect", "write exactly one of connect (client) and accept (hub)");
    if (client) {
        s.role = link_role::client;
        read_url(opts, s);
        s.tls = araldo::read_tls_client_config(opts, global, "tls");
        s.peer_name = opts.has("peer-name") ? opts.string("peer-name") : s.host;
        if (s.peer_name.empty()) opts.fail("peer-name", "cannot be empty");
        if (opts.given("peers")) opts.fail("peers", "is for the hub (accept), not a client");
    } else {
        s.role = link_role::server;
        s.accept_path = opts.string("accept");
        if (!s.accept_path.starts_with('/')) opts.fail("accept", "must be a path starting with '/'", "e.g. /link");
        for (const char* name : {"tls", "peer-name", "reconnect"})
            if (opts.given(name)) opts.fail(name, "is for a client (connect), not the hub");
        s.peers = opts.string_map("peers");
    }
    s.reconnect = araldo::read_backoff(opts, "reconnect");
    s.connect_timeout = opts.duration("connect-timeout");
    s.heartbeat = opts.duration("heartbeat");
    s.heartbeat_timeout = opts.has("heartbeat-timeout") ? opts.duration("heartbeat-timeout") : 3 * s.heartbeat;
    if (s.heartbeat_timeout <= s.heartbeat)
        opts.fail("heartbeat-timeout", "must be longer than heartbeat", "a peer gets at least one ping to answer");
    s.send_queue = static_cast<std::size_t>(opts.integer("send-queue"));
    s.max_message_size = opts.size("max-message-size");
    return s;
}

}  // namespace araldo::plugins::endpoint_link
