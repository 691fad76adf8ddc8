// The publisher connection: a writer that sends everything queued as one
// pipelined write of PUBLISH commands, and a reader that matches the replies
// in order. Messages wait in the queue while the connection is down.
#include "redis_endpoint.hpp"

#include <araldo/log_rate.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace araldo::plugins::endpoint_redis {

namespace {

// Bytes of commands gathered into one write; more waits for the next one.
constexpr std::size_t max_write = 256 * 1024;

}  // namespace

asio::awaitable<void> redis_endpoint::publish_loop() {
    for (;;) {
        std::string reason = co_await publisher_session();
        pub_stream_.close();
        if (in_flight_ > 0) {
            // Redis may or may not have published them: at-most-once, so they are not resent.
            publish_lost_.inc(in_flight_);
            ctx_.log().warn("{} PUBLISH command(s) unconfirmed when the connection ended: counted as lost", in_flight_);
            in_flight_ = 0;
        }
        if (stopping_) break;
        went_down(pub_, std::move(reason));
        co_await backoff(pub_);
    }
    if (!queue_.empty()) drop_queue("stopped while disconnected from Redis");
    ctx_.log().debug("publisher stopped");
}

// One connection, from connect to failure (or to a drained stop). Returns why it ended.
asio::awaitable<std::string> redis_endpoint::publisher_session() {
    using namespace asio::experimental::awaitable_operators;
    resp_reader reader(limits_);
    const std::string no_commands;  // PUBLISHes wait for AUTH/SELECT to succeed
    if (auto opened = co_await open_connection(pub_, pub_stream_, reader, no_commands); !opened)
        co_return opened.reason();
    came_up(pub_, queue_.empty() ? std::string() : fmt::format(", {} queued message(s) to publish", queue_.size()));
    pub_session_end_.clear();
    co_await (write_loop() && reply_loop(reader));
    co_return pub_session_end_;
}

// The only writer of the publisher connection.
asio::awaitable<void> redis_endpoint::write_loop() {
    std::string out;
    while (pub_session_end_.empty()) {
        if (queue_.empty()) {
            if (publisher_drained()) {
                end_publisher_session("stopping");
                break;
            }
            co_await queue_.wait();  // deliver(), stop() or session end
            continue;
        }
        out.clear();
        const auto now = echo_filter::clock::now();
        std::size_t n = 0;
        while (!queue_.empty() && out.size() < max_write) {
            std::string_view bytes = queue_.front().bytes;
            const std::string& channel = front_channel();
            append_publish(out, channel, bytes);
            // Before the write: the echo cannot come back sooner.
            const unsigned copies = settings_.publish->literal()
                                        ? echo_copies_
                                        : copies_received(channel, settings_.subscribe, settings_.psubscribe);
            echo_.published(channel, bytes, copies, now);
            pop_front();
            ++n;
        }
        in_flight_ += n;
        if (error_code ec = co_await pub_stream_.write(asio::buffer(out))) {
            end_publisher_session(io_failure("write failed", ec));
        }
    }
}

asio::awaitable<void> redis_endpoint::reply_loop(resp_reader& reader) {
    std::vector<char> buf;
    while (pub_session_end_.empty()) {
        try {
            while (auto reply = reader.next()) take_publish_reply(*reply);
        } catch (const resp_protocol_error& e) {
            end_publisher_session(protocol_failure(pub_, e));
        }
        if (!pub_session_end_.empty()) break;
        if (publisher_drained()) {
            end_publisher_session("stopping");
            break;
        }
        if (auto more = co_await read_more(pub_, pub_stream_, reader, buf); !more) end_publisher_session(more.reason());
    }
}

void redis_endpoint::take_publish_reply(const resp_value& reply) {
    if (in_flight_ == 0) {
        end_publisher_session("a reply with no command in flight");
        return;
    }
    --in_flight_;
    if (reply.type == resp_type::integer) {  // the number of subscribers that received it
        published_.inc();
        return;
    }
    publish_errors_.inc();
    auto n = publish_errors_.value();
    if (araldo::worth_logging(n)) {
        ctx_.log().warn("PUBLISH to '{}' failed: {} ({} so far)", settings_.publish->text(),
                        reply.is_error() ? reply.str : std::string("unexpected reply"), n);
    }
}

// Ends the session (the first reason wins): closes the connection so the
// reader returns, and wakes the writer.
void redis_endpoint::end_publisher_session(std::string reason) {
    if (pub_session_end_.empty()) pub_session_end_ = std::move(reason);
    pub_stream_.close();
    queue_.notify();
}

void redis_endpoint::drop_queue(std::string_view why) {
    publish_lost_.inc(queue_.size());
    ctx_.log().warn("{} queued message(s) lost: {}", queue_.size(), why);
    queue_.clear();
    channels_.clear();
}

const std::string& redis_endpoint::front_channel() const {
    return settings_.publish->literal() ? settings_.publish->literal_text() : channels_.front();
}

void redis_endpoint::pop_front() {
    queue_.pop_front();
    if (!channels_.empty()) channels_.pop_front();
}

}  // namespace araldo::plugins::endpoint_redis
