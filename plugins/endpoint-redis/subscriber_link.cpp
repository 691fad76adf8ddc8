// The subscriber connection: SUBSCRIBE/PSUBSCRIBE on every (re)connect, then
// every pushed message is ingested, unless it is an echo of our own PUBLISH.
#include "redis_endpoint.hpp"

#include <spdlog/spdlog.h>

namespace araldo::plugins::endpoint_redis {

namespace {

// Redis payloads are bytes; a message is text when they are valid UTF-8.
bool valid_utf8(std::string_view s) {
    static constexpr std::uint32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t n = 0;  // continuation bytes
        if ((c >> 5) == 0x6) {
            n = 1;
        } else if ((c >> 4) == 0xE) {
            n = 2;
        } else if ((c >> 3) == 0x1E) {
            n = 3;
        } else {
            return false;
        }
        if (s.size() - i <= n) return false;
        std::uint32_t cp = c & (0x3Fu >> n);
        for (std::size_t k = 1; k <= n; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        if (cp < min_for[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n + 1;
    }
    return true;
}

}  // namespace

asio::awaitable<void> redis_endpoint::subscribe_loop() {
    while (!stopping_) {
        std::string reason = co_await subscriber_session();
        sub_stream_.close();
        if (stopping_) break;
        went_down(sub_, std::move(reason));
        co_await backoff(sub_);
    }
    ctx_.log().debug("subscriber stopped");
}

// One connection, from connect to failure. Returns why it ended.
asio::awaitable<std::string> redis_endpoint::subscriber_session() {
    resp_reader reader;
    std::string failed = co_await open_connection(sub_stream_, reader, fsm_.start());
    if (!failed.empty()) co_return failed;
    std::vector<char> buf;
    for (;;) {
        if (!take_replies(reader, failed)) co_return failed;
        failed = co_await read_more(sub_stream_, reader, buf);
        if (!failed.empty()) co_return failed;
    }
}

// Acts on every complete reply in the reader. False, with `failure` set, when
// the connection must be dropped.
bool redis_endpoint::take_replies(resp_reader& reader, std::string& failure) {
    try {
        while (auto reply = reader.next()) {
            subscriber_event e = fsm_.on_reply(std::move(*reply));
            switch (e.what) {
                case subscriber_event::kind::none: break;
                case subscriber_event::kind::subscribed:
                    came_up(sub_, fmt::format(", subscribed to {} channel(s) and {} pattern(s)",
                                              fsm_.channels().size(), fsm_.patterns().size()));
                    break;
                case subscriber_event::kind::message: on_message(e); break;
                case subscriber_event::kind::failed: failure = std::move(e.payload); return false;
            }
            if (stopping_) {
                failure = "stopping";
                return false;
            }
        }
    } catch (const resp_protocol_error& e) {
        failure = std::string("protocol error: ") + e.what();
        return false;
    }
    return true;
}

void redis_endpoint::on_message(subscriber_event& e) {
    auto& log = ctx_.log();
    if (settings_.publish && e.channel == *settings_.publish &&
        echo_.take(e.payload, echo_filter::clock::now())) {
        echo_suppressed_.inc();
        if (log.should_log(spdlog::level::debug)) log.debug("ECHO {} {} bytes: our own, dropped", e.channel, e.payload.size());
        return;
    }
    received_.inc();
    if (log.should_log(spdlog::level::debug)) {
        log.debug("IN channel={} pattern={} {} bytes", e.channel, e.pattern.empty() ? "-" : e.pattern, e.payload.size());
    }
    araldo::attributes attrs;
    attrs.set("redis.channel", std::move(e.channel));
    if (!e.pattern.empty()) attrs.set("redis.pattern", std::move(e.pattern));
    const bool binary = !valid_utf8(e.payload);
    ctx_.ingest(std::move(e.payload), binary, std::move(attrs));
}

}  // namespace araldo::plugins::endpoint_redis
