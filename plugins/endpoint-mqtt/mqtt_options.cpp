#include "mqtt_options.hpp"

#include "mqtt_codec.hpp"

#include <araldo/folder.hpp>
#include <araldo/utf8.hpp>

namespace araldo::plugins::endpoint_mqtt {

namespace {

option_spec qos_option(std::string what) {
    return option_spec{.name = "qos",
                       .type = option_type::integer,
                       .default_value = "0",
                       .description = std::move(what),
                       .min = "0",
                       .max = "1"};
}

// Splits "what -- hint" as parse_mqtt_url reports it.
[[noreturn]] void fail_with_hint(const araldo::options& opts, std::string_view name, const std::string& reason) {
    const auto cut = reason.find(" -- ");
    if (cut == std::string::npos) opts.fail(name, reason);
    opts.fail(name, reason.substr(0, cut), reason.substr(cut + 4));
}

void check_topic(const araldo::options& opts, std::string_view name, const std::string& topic) {
    if (!codec::valid_topic_name(topic))
        opts.fail(name, "'" + topic + "' is not a topic MQTT publishes to",
                  "a non-empty UTF-8 name without + or #, such as greenhouse/pi-7/cmd");
}

void read_will(const araldo::options& opts, mqtt_settings& s) {
    if (!opts.given("will")) return;
    const araldo::options& w = opts.object("will");
    if (!w.has("topic")) opts.fail("will", "needs a topic");
    will_settings will{w.string("topic"), w.string("payload"), static_cast<int>(w.integer("qos")), w.boolean("retain")};
    check_topic(w, "topic", will.topic);
    s.will = std::move(will);
}

void read_subscriptions(const araldo::options& opts, mqtt_settings& s) {
    if (!opts.has("subscribe")) return;
    // Each filter holds a packet id until its SUBACK (mqtt_inbound.cpp, take_broker_limits).
    if (opts.object_list("subscribe").size() > max_subscriptions)
        opts.fail("subscribe", "more than " + std::to_string(max_subscriptions) + " topic filters",
                  "use + and # wildcards to cover many topics with one filter");
    for (const auto& item : opts.object_list("subscribe")) {
        subscription sub{item->string("topic"), static_cast<int>(item->integer("qos"))};
        if (!codec::valid_topic_filter(sub.topic))
            item->fail("topic", "'" + sub.topic + "' is not an MQTT topic filter",
                       "+ matches one level and # the rest, each alone between slashes: greenhouse/+/sensors/#");
        for (auto& other : s.subscribe) {
            if (other.topic == sub.topic) item->fail("topic", "'" + sub.topic + "' is subscribed twice");
        }
        s.subscribe.push_back(std::move(sub));
    }
}

void read_publish(const araldo::options& opts, mqtt_settings& s) {
    if (!opts.given("publish")) return;
    const araldo::options& p = opts.object("publish");
    if (!p.has("topic")) opts.fail("publish", "needs a topic", "publish: {topic: \"araldo{folder}\"}");
    auto t = attribute_template::parse(p.string("topic"));
    if (!t) p.fail("topic", t.reason(), "e.g. araldo{folder}: the topic araldo/acme/x for the folder /acme/x");
    if (t.value().literal()) check_topic(p, "topic", t.value().literal_text());
    if (t.value().text().empty()) p.fail("topic", "a topic cannot be empty");
    s.publish = publish_settings{std::move(t).value(), static_cast<int>(p.integer("qos")), p.boolean("retain")};
}

void read_folder(const araldo::options& opts, mqtt_settings& s) {
    if (!opts.has("folder")) return;
    auto t = attribute_template::parse(opts.string("folder"), {"topic"});
    if (!t) opts.fail("folder", t.reason(), "e.g. /{topic}");
    const attribute_template& folder = t.value();
    if (s.subscribe.empty()) opts.fail("folder", "is for inbound messages: it needs subscribe");
    if (folder.literal()) {
        if (auto valid = araldo::valid_folder(folder.literal_text()); !valid) opts.fail("folder", valid.reason());
    } else if (!folder.head().empty() && !folder.head().starts_with('/')) {
        opts.fail("folder", "no topic can make this a folder: a folder starts with '/'", "e.g. /{topic}");
    }
    s.folder = std::move(t).value();
}

void read_session(const araldo::options& opts, mqtt_settings& s) {
    s.mqtt5 = opts.string("protocol") == "5";
    s.client_id = opts.string("client-id");
    s.clean_start = opts.boolean("clean-start");
    if (s.client_id.size() > 65535 || !araldo::valid_utf8(s.client_id))
        opts.fail("client-id", "must be UTF-8 of at most 65535 bytes");
    if (s.client_id.empty() && !s.clean_start)
        opts.fail("clean-start", "a session the broker keeps needs a client-id to find it again",
                  "set client-id, or clean-start: true");
    const auto expiry = std::chrono::duration_cast<std::chrono::seconds>(opts.duration("session-expiry")).count();
    s.session_expiry = static_cast<std::uint32_t>(expiry);
    if (s.session_expiry != 0 && !s.mqtt5)
        opts.fail("session-expiry", "is MQTT 5", "with protocol: 3.1.1 a session lasts until a clean start");
    s.keepalive =
        static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(opts.duration("keepalive")).count());
}

}  // namespace

option_table mqtt_options() {
    using araldo::option_spec;
    using araldo::option_type;
    option_spec tls = araldo::tls_client_option("tls");
    tls.description +=
        ". Only with mqtts://, which without this block verifies the broker against the system's "
        "trust store";
    return {
        option_spec{"url", option_type::string, "mqtt://127.0.0.1:1883",
                    "mqtt://[user:password@]host[:port] (port 1883) or mqtts://... (TLS, port 8883)", false},
        tls,
        option_spec{.name = "protocol",
                    .type = option_type::string,
                    .default_value = "5",
                    .description = "MQTT version spoken to the broker",
                    .one_of = {"5", "3.1.1"}},
        option_spec{"client-id", option_type::string, "",
                    "the client identifier; empty: one chosen per connection (only with clean-start)", false},
        option_spec{"clean-start", option_type::boolean, "true",
                    "start a new session on every connect; false resumes the broker's session of client-id "
                    "(its subscriptions and the QoS 1 messages it kept)",
                    false},
        option_spec{.name = "session-expiry",
                    .type = option_type::duration,
                    .default_value = "0s",
                    .description = "MQTT 5: how long the broker keeps the session after a disconnect (0s: it ends "
                                   "with the connection)",
                    .min = "0s",
                    .max = "4294967295s"},
        option_spec{.name = "keepalive",
                    .type = option_type::duration,
                    .default_value = "60s",
                    .description = "how often a PINGREQ goes out (a broker's Server Keep Alive overrides it); a "
                                   "broker that has not answered one by the next is disconnected",
                    .min = "5s",
                    .max = "65535s"},
        option_spec{"will",
                    option_type::object,
                    std::nullopt,
                    "the message the broker publishes when the connection is lost without a DISCONNECT",
                    false,
                    {
                        option_spec{"topic", option_type::string, std::nullopt, "its topic (required)", false},
                        option_spec{"payload", option_type::string, "", "its payload", false},
                        qos_option("its QoS"),
                        option_spec{"retain", option_type::boolean, "false", "whether the broker retains it", false},
                    }},
        option_spec{"subscribe",
                    option_type::object_list,
                    std::nullopt,
                    "topic filters whose messages are ingested (+ one level, # the rest); at most 10000",
                    false,
                    {
                        option_spec{"topic", option_type::string, std::nullopt, "a topic filter", true},
                        qos_option("the highest QoS the broker sends with (1: acknowledged once routed)"),
                    }},
        option_spec{
            "publish",
            option_type::object,
            std::nullopt,
            "where messages routed to this endpoint are published; without it deliveries are refused",
            false,
            {
                option_spec{"topic", option_type::string, std::nullopt,
                            "the topic, or a template over the message's attributes (\"araldo{folder}\": a "
                            "message without the attribute is dropped); required",
                            false},
                qos_option("0: at most once; 1: kept and resent until the broker acknowledges it"),
                option_spec{"retain", option_type::boolean, "false", "ask the broker to retain each message", false},
            }},
        option_spec{"folder", option_type::string, std::nullopt,
                    "the folder inbound messages are addressed to, a template over their topic (\"/{topic}\"); a "
                    "topic that makes no valid folder drops its message",
                    false},
        option_spec{.name = "queue-size",
                    .type = option_type::integer,
                    .default_value = "10000",
                    .description = "outbound messages waiting to be published (also while disconnected); when "
                                   "full, new ones are dropped",
                    .min = "1"},
        option_spec{.name = "max-inflight",
                    .type = option_type::integer,
                    .default_value = "100",
                    .description = "QoS 1 publishes sent and not acknowledged yet; more wait in the queue (lowered to "
                                   "the broker's Receive Maximum, and to 65535 minus the subscribe filters: each holds "
                                   "a packet id)",
                    .min = "1",
                    .max = "65535"},
        option_spec{.name = "max-message-size",
                    .type = option_type::size,
                    .default_value = "1MiB",
                    .description = "largest payload ingested or published; larger ones are dropped (counted)",
                    .min = "1",
                    .max = "255MiB"},
        araldo::backoff_option(),
    };
}

mqtt_settings read_mqtt_settings(const araldo::options& opts, const araldo::global_settings& global) {
    mqtt_settings s;
    auto address = parse_mqtt_url(opts.string("url"));
    if (!address) fail_with_hint(opts, "url", address.reason());
    s.address = std::move(address).value();
    s.tls = araldo::read_tls_client_config(opts, global, "tls");
    if (s.tls && !s.address.tls) {
        // A password sent in clear beside a tls block would be worse than refusing.
        opts.fail("tls", "is only used with an mqtts:// URL", "write url: mqtts://host:8883 to connect over TLS");
    }
    if (s.address.tls && !s.tls) s.tls.emplace();  // no ca: the system's trust store
    read_session(opts, s);
    read_will(opts, s);
    read_subscriptions(opts, s);
    read_publish(opts, s);
    read_folder(opts, s);
    if (s.subscribe.empty() && !s.publish) {
        opts.fail("url", "endpoint-mqtt needs subscribe or publish",
                  "subscribe: [{topic: \"sensors/#\"}] ingests, publish: {topic: \"araldo{folder}\"} sends");
    }
    s.queue_size = static_cast<std::size_t>(opts.integer("queue-size"));
    s.max_inflight = static_cast<std::size_t>(opts.integer("max-inflight"));
    s.max_message_size = opts.size("max-message-size");
    s.reconnect = araldo::read_backoff(opts);
    return s;
}

}  // namespace araldo::plugins::endpoint_mqtt
