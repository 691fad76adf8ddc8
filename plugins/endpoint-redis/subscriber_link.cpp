// The subscriber connection: SUBSCRIBE/PSUBSCRIBE on every (re)connect, then
// every pushed message is ingested, unless it is an echo of our own PUBLISH.
#include "redis_endpoint.hpp"

#include <araldo/folder.hpp>
#include <araldo/json.hpp>
#include <araldo/log_rate.hpp>
#include <araldo/utf8.hpp>

#include <spdlog/spdlog.h>

namespace araldo::plugins::endpoint_redis {

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
    resp_reader reader(limits_);
    if (auto opened = co_await open_connection(sub_, sub_stream_, reader, fsm_.start()); !opened)
        co_return opened.reason();
    std::vector<char> buf;
    for (;;) {
        std::string failed;
        if (!take_replies(reader, failed)) co_return failed;
        if (auto more = co_await read_more(sub_, sub_stream_, reader, buf); !more) co_return more.reason();
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
                    came_up(sub_, fmt::format(", subscribed to {} channel(s) and {} pattern(s)", fsm_.channels().size(),
                                              fsm_.patterns().size()));
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
        failure = protocol_failure(sub_, e);
        return false;
    }
    return true;
}

void redis_endpoint::on_message(subscriber_event& e) {
    auto& log = ctx_.log();
    if (echo_.take(e.channel, e.payload, echo_filter::clock::now())) {
        echo_suppressed_.inc();
        if (log.should_log(spdlog::level::debug))
            log.debug("ECHO {} {} bytes: our own, dropped", e.channel, e.payload.size());
        return;
    }
    araldo::attributes attrs;
    if (settings_.folder && !folder_for(e.channel, attrs)) return;
    received_.inc();
    if (log.should_log(spdlog::level::debug)) {
        log.debug("IN channel={} pattern={} {} bytes", e.channel, e.pattern.empty() ? "-" : e.pattern,
                  e.payload.size());
    }
    attrs.set("redis.channel", std::move(e.channel));
    if (!e.pattern.empty()) attrs.set("redis.pattern", std::move(e.pattern));
    // Redis payloads are bytes; a message is text when they are valid UTF-8.
    const bool binary = !araldo::valid_utf8(e.payload);
    ctx_.ingest(std::move(e.payload), binary, std::move(attrs));
}

bool redis_endpoint::folder_for(const std::string& channel, araldo::attributes& attrs) {
    std::string folder = settings_.folder->expand_all(channel);
    if (auto valid = araldo::valid_folder(folder); !valid) {
        invalid_folders_.inc();
        if (const auto n = invalid_folders_.value(); araldo::worth_logging(n)) {
            // The channel is outside bytes: quoted, so it cannot forge a log line.
            ctx_.log().warn("channel {} makes no valid folder through '{}': {}; dropped ({} so far)",
                            araldo::json_quote(channel), settings_.folder->text(), valid.reason(), n);
        }
        return false;
    }
    attrs.set(std::string(araldo::folder_attribute), std::move(folder));
    return true;
}

}  // namespace araldo::plugins::endpoint_redis
