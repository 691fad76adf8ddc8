#include "config/statsd_config.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>

namespace araldo::detail {

option_spec statsd_option() {
    option_spec statsd{"statsd", option_type::object, std::nullopt,
                       "push the counters and gauges of /metrics to a statsd server over UDP; no host: off"};
    statsd.fields = {
        {"host", option_type::string, "",
         "IP address of the statsd server, or localhost; not a DNS name (the relay's one thread must never wait "
         "on a resolver); empty: off"},
        {.name = "port",
         .type = option_type::integer,
         .default_value = "8125",
         .description = "UDP port of the statsd server",
         .min = "1",
         .max = "65535"},
        {"prefix", option_type::string, "",
         "put before every name with a dot (prod.araldo_messages_in_total...); empty: none"},
        {.name = "interval",
         .type = option_type::duration,
         .default_value = "10s",
         .description = "how often the values are sent; counters as the increase since the last send",
         .min = "10ms"},
        {.name = "tags",
         .type = option_type::string,
         .default_value = "none",
         .description = "none: label values become name segments (name.chat.queue_full), which every statsd "
                        "understands; dogstatsd: labels as tags (name:1|c|#endpoint:chat), for DogStatsD, "
                        "Telegraf and statsd_exporter",
         .one_of = {"none", "dogstatsd"}},
    };
    return statsd;
}

std::optional<statsd_config> read_statsd(const options& global) {
    if (!global.given("statsd")) return std::nullopt;
    const options& o = global.object("statsd");
    std::string host = o.string("host");
    if (host.empty()) return std::nullopt;
    if (host == "localhost") host = "127.0.0.1";
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    if (ec) {
        o.fail("host", "'" + host + "' is not an IP address",
               "statsd needs an IP address or localhost: resolving a name would stall the relay's one thread");
    }
    statsd_config c;
    c.address = host;
    c.port = static_cast<std::uint16_t>(o.integer("port"));  // the table bounds it
    c.prefix = o.string("prefix");
    if (c.prefix.find_first_of(":|@#\n ") != std::string::npos)
        o.fail("prefix", "'" + c.prefix + "' contains a character statsd reserves", "letters, digits, '.', '-', '_'");
    c.interval = o.duration("interval");
    c.tags = o.string("tags") == "dogstatsd" ? statsd_tags::dogstatsd : statsd_tags::none;
    return c;
}

}  // namespace araldo::detail
