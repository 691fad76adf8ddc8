// global.listeners (and the plain listener of server-port and bind): names,
// addresses and TLS blocks checked here, certificate files only when the
// relay loads them (app::load).
#include "config/listeners.hpp"

#include "config/nearest.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>

namespace araldo::detail {
namespace {

bool valid_name(const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char ch) {
        return std::isalnum(ch) || ch == '-' || ch == '_';
    });
}

void check_address(const options& o, const std::string& option, const std::string& address) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(address, ec);
    if (ec)
        o.fail(option, "'" + address + "' is not an IP address",
               "the listener binds to an address, not a name: 127.0.0.1, ::1, 0.0.0.0 or ::");
}

tls_listener_config read_tls(const options& tls, const global_settings& g) {
    tls_listener_config t;
    t.mark = tls.where();
    if (!tls.has("cert")) tls.fail("cert", "a TLS listener needs cert", "the PEM certificate chain it presents");
    if (!tls.has("key")) tls.fail("key", "a TLS listener needs key", "the PEM private key of cert");
    t.cert = resolve_config_path(g, tls.string("cert"));
    t.key = resolve_config_path(g, tls.string("key"));
    const auto& mode = tls.string("client-certs");
    t.client_certs = mode == "required"   ? client_cert_mode::required
                     : mode == "optional" ? client_cert_mode::optional
                                          : client_cert_mode::none;
    if (tls.has("ca")) t.ca = resolve_config_path(g, tls.string("ca"));
    if (t.client_certs != client_cert_mode::none && t.ca.empty())
        tls.fail("client-certs", mode + " needs ca", "the PEM CA certificates that issue them");
    if (t.client_certs == client_cert_mode::none && !t.ca.empty())
        tls.fail("ca", "ca verifies client certificates, but client-certs is none",
                 "set client-certs: optional or required, or remove ca");
    t.min_version = tls.string("min-version");
    t.handshake_timeout = tls.duration("handshake-timeout");
    return t;
}

}  // namespace

option_spec listeners_option() {
    option_spec tls{"tls", option_type::object, std::nullopt,
                    "serve TLS (https, wss) on this listener; certificates are re-read on SIGHUP"};
    tls.fields = {
        {"cert", option_type::string, std::nullopt, "PEM certificate chain (leaf first)"},
        {"key", option_type::string, std::nullopt, "PEM private key of cert"},
        {"ca", option_type::string, std::nullopt, "PEM CA certificates that client certificates must chain to"},
        {.name = "client-certs",
         .type = option_type::string,
         .default_value = "none",
         .description = "none: not asked for; optional: verified when sent (a bad one fails the handshake); "
                        "required: a connection without a valid one is refused",
         .one_of = {"none", "optional", "required"}},
        {.name = "min-version",
         .type = option_type::string,
         .default_value = "1.2",
         .description = "lowest TLS version accepted",
         .one_of = {"1.2", "1.3"}},
        {.name = "handshake-timeout",
         .type = option_type::duration,
         .default_value = "10s",
         .description = "a connection that has not completed its handshake by then is closed",
         .min = "1ms"},
    };
    option_spec listeners{"listeners", option_type::object_list, std::nullopt,
                          "several listeners, each plain or TLS, instead of server-port and bind"};
    listeners.fields = {
        {.name = "name",
         .type = option_type::string,
         .description = "what endpoints' listeners: and core-listeners name it by (letters, digits, - and _)",
         .required = true},
        {.name = "port",
         .type = option_type::integer,
         .description = "TCP port; 0 picks a free one",
         .required = true,
         .min = "0",
         .max = "65535"},
        {"bind", option_type::string, "127.0.0.1", "address to listen on; 0.0.0.0 or :: for every interface"},
        std::move(tls),
    };
    return listeners;
}

listener_set read_listeners(const options& opts, const global_settings& g, const field_failure& fail) {
    listener_set out;
    if (!opts.given("listeners")) {
        out.listeners.push_back(listener_config{"default", g.bind, g.server_port, std::nullopt, opts.mark("server-port")});
    } else {
        for (const char* single : {"server-port", "bind"}) {
            if (opts.given(single))
                fail(single, std::string(single) + " cannot be combined with listeners",
                     "with listeners, each listener has its own port and bind");
        }
        for (const auto& item : opts.object_list("listeners")) {
            listener_config l;
            l.mark = item->where();
            l.name = item->string("name");
            if (!valid_name(l.name))
                item->fail("name", "'" + l.name + "' is not a valid listener name", "letters, digits, - and _");
            for (const auto& other : out.listeners)
                if (other.name == l.name)
                    item->fail("name", "duplicate listener name '" + l.name + "'",
                               "first defined at " + other.mark.str());
            l.port = static_cast<std::uint16_t>(item->integer("port"));  // the table bounds it
            l.bind = item->string("bind");
            check_address(*item, "bind", l.bind);
            if (item->given("tls")) l.tls = read_tls(item->object("tls"), g);
            out.listeners.push_back(std::move(l));
        }
        if (out.listeners.empty()) fail("listeners", "needs at least one listener", "or remove it to use server-port");
    }
    out.core = opts.string_list("core-listeners");
    for (const auto& name : out.core) check_listener_name(out, name, opts.mark("core-listeners"));
    return out;
}

void check_listener_name(const listener_set& set, const std::string& name, const source_mark& mark) {
    std::vector<std::string> names;
    for (const auto& l : set.listeners) {
        if (l.name == name) return;
        names.push_back(l.name);
    }
    throw config_error(mark, "no listener is named '" + name + "'", suggest(name, names));
}

}  // namespace araldo::detail
