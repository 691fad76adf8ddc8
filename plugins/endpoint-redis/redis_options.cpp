#include "redis_options.hpp"

#include <araldo/folder.hpp>

#include <algorithm>
#include <string>

namespace araldo::plugins::endpoint_redis {

namespace {

std::vector<std::string> unique(std::vector<std::string> v) {
    std::vector<std::string> out;
    for (auto& s : v) {
        if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    }
    return out;
}

option_spec tls_option() {
    option_spec spec = araldo::tls_client_option("tls");
    spec.description +=
        ". Only with rediss://, which without this block verifies the server against the system's trust store";
    return spec;
}

void read_templates(const araldo::options& opts, redis_settings& s) {
    if (opts.has("publish")) {
        const std::string text = opts.string("publish");
        if (text.empty()) opts.fail("publish", "a channel name cannot be empty");
        auto t = attribute_template::parse(text);
        if (!t)
            opts.fail("publish", t.reason(), "e.g. events{folder}: the channel events/acme/x for the folder /acme/x");
        s.publish = std::move(t).value();
    }
    if (!opts.has("folder")) return;
    auto t = attribute_template::parse(opts.string("folder"), {"channel"});
    if (!t) opts.fail("folder", t.reason(), "e.g. /redis/{channel}");
    const attribute_template& folder = t.value();
    if (s.subscribe.empty() && s.psubscribe.empty())
        opts.fail("folder", "is for inbound messages: it needs subscribe or psubscribe");
    if (folder.literal()) {
        if (auto valid = araldo::valid_folder(folder.literal_text()); !valid) opts.fail("folder", valid.reason());
    } else if (!folder.head().empty() && !folder.head().starts_with('/')) {
        opts.fail("folder", "no channel can make this a folder: a folder starts with '/'", "e.g. /redis/{channel}");
    }
    s.folder = std::move(t).value();
}

}  // namespace

option_table redis_options() {
    using araldo::option_spec;
    using araldo::option_type;
    return {
        option_spec{"url", option_type::string, "redis://127.0.0.1:6379",
                    "redis://[user:password@]host:port[/db], rediss://[user:password@]host:port[/db] (TLS) or "
                    "unix:///path/to/redis.sock[?db=N]",
                    false},
        tls_option(),
        option_spec{"subscribe", option_type::string_list, "[]", "channels whose messages are ingested (SUBSCRIBE)",
                    false},
        option_spec{"psubscribe", option_type::string_list, "[]",
                    "channel patterns whose messages are ingested (PSUBSCRIBE, Redis glob syntax)", false},
        option_spec{"publish", option_type::string, std::nullopt,
                    "the channel messages routed to this endpoint are PUBLISHed to, or a template over their "
                    "attributes (\"events{folder}\": a message without the attribute is dropped); without it "
                    "deliveries are refused",
                    false},
        option_spec{"folder", option_type::string, std::nullopt,
                    "the folder inbound messages are addressed to, a template over the channel they came on "
                    "(\"/redis/{channel}\"); a channel that makes no valid folder drops its message",
                    false},
        option_spec{.name = "queue-size",
                    .type = option_type::integer,
                    .default_value = "10000",
                    .description = "outbound messages waiting to be published (also while disconnected); when "
                                   "full, new ones are dropped",
                    .min = "1"},
        option_spec{.name = "max-message-size",
                    .type = option_type::size,
                    .default_value = "1MiB",
                    .description = "largest payload read from Redis (any bulk string) or published to it; a larger "
                                   "one from Redis is a protocol error that drops the connection (counted, then "
                                   "reconnected), a larger routed message is refused with too_large",
                    .min = "1"},
        araldo::backoff_option(),
    };
}

redis_settings read_redis_settings(const araldo::options& opts, const araldo::global_settings& global) {
    redis_settings s;
    auto parsed = parse_redis_url(opts.string("url"));
    if (auto* e = std::get_if<url_error>(&parsed)) opts.fail("url", e->what, e->hint);
    s.address = std::get<redis_address>(std::move(parsed));
    s.tls = araldo::read_tls_client_config(opts, global, "tls");
    if (s.tls && !s.address.tls) {
        // Silently sending the password in clear beside a tls block would be worse than refusing.
        opts.fail("tls", "is only used with a rediss:// URL", "write url: rediss://host:port to connect over TLS");
    }
    if (s.address.tls && !s.tls) s.tls.emplace();  // no ca: the system's trust store
    s.subscribe = unique(opts.string_list("subscribe"));
    s.psubscribe = unique(opts.string_list("psubscribe"));
    for (const auto& c : s.subscribe) {
        if (c.empty()) opts.fail("subscribe", "a channel name cannot be empty");
    }
    for (const auto& p : s.psubscribe) {
        if (p.empty()) opts.fail("psubscribe", "a pattern cannot be empty");
    }
    read_templates(opts, s);
    if (s.subscribe.empty() && s.psubscribe.empty() && !s.publish) {
        opts.fail("url", "endpoint-redis needs subscribe, psubscribe or publish",
                  "subscribe: [events] ingests a channel, publish: events sends routed messages to it");
    }
    s.queue_size = static_cast<std::size_t>(opts.integer("queue-size"));  // at least 1: the table says so
    s.max_message_size = opts.size("max-message-size");
    s.reconnect = araldo::read_backoff(opts);
    return s;
}

}  // namespace araldo::plugins::endpoint_redis
