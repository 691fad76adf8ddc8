#include "mqtt_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>

namespace araldo::plugins::endpoint_mqtt {

namespace {

const char* const url_forms = "mqtt://[user:password@]host[:port], or mqtts://... for TLS";

}  // namespace

std::string mqtt_address::display() const {
    return (tls ? "mqtts://" : "mqtt://") + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
           std::to_string(port);
}

araldo::result<mqtt_address> parse_mqtt_url(std::string_view url) {
    using answer = araldo::result<mqtt_address>;
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return answer::fail("not a URL: " + parsed.error().message() + " -- " + url_forms);
    const boost::urls::url_view& u = *parsed;
    mqtt_address a;
    const std::string scheme(u.scheme());
    if (scheme != "mqtt" && scheme != "mqtts") return answer::fail("unknown scheme '" + scheme + "' -- " + url_forms);
    a.tls = scheme == "mqtts";
    a.port = a.tls ? 8883 : 1883;
    if (u.has_userinfo()) {
        a.user = u.user();
        a.password = u.password();
        if (a.user.empty()) return answer::fail("a password without a user -- MQTT sends a password only with a user");
    }
    a.host = u.host_address();
    if (a.host.empty()) return answer::fail(std::string("no host -- ") + url_forms);
    if (u.has_port()) {
        const std::string_view text = u.port();
        int port = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
        if (ec != std::errc{} || end != text.data() + text.size() || port < 1 || port > 65535)
            return answer::fail("port '" + std::string(text) + "' is out of range -- the defaults are 1883 and 8883");
        a.port = static_cast<std::uint16_t>(port);
    }
    if (!u.encoded_path().empty() && u.encoded_path() != "/")
        return answer::fail("a path means nothing to MQTT -- " + std::string(url_forms));
    if (u.has_query()) return answer::fail("a query means nothing to MQTT -- " + std::string(url_forms));
    return answer::ok(std::move(a));
}

}  // namespace araldo::plugins::endpoint_mqtt
