#include "mock_endpoint.hpp"

#include <araldo/json.hpp>
#include <araldo/utf8.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <string>
#include <utility>

namespace araldo::plugins::endpoint_mock {

namespace {

constexpr std::size_t preview_limit = 200;

// The payload as one safe log line: at most 200 bytes (never cutting a UTF-8
// sequence of a text payload), control characters escaped so a payload cannot
// forge log lines, and every non-ASCII byte of a binary payload escaped.
std::string preview(const message& msg) {
    const std::string_view whole = msg.payload();
    const std::string_view p = msg.binary() ? whole.substr(0, preview_limit) : utf8_prefix(whole, preview_limit);
    const bool cut = p.size() < whole.size();
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(p.size() + 3);
    for (char c : p) {
        auto u = static_cast<std::uint8_t>(c);
        if (u < 0x20 || u == 0x7F || (msg.binary() && u >= 0x80)) {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xF];
        } else {
            out += c;
        }
    }
    if (cut) out += "...";
    return out;
}

// [{"id", "source", "payload", "attributes": {...}}] of the kept messages,
// oldest first; a binary payload is left out (tests send text).
std::string received_json(const std::deque<message_ptr>& received) {
    std::string out = "[";
    for (const auto& m : received) {
        if (out.size() > 1) out += ',';
        out += "{\"id\":" + json_quote(m->id()) + ",\"source\":" + json_quote(m->source()) + ",\"payload\":";
        out += m->binary() ? std::string("null") : json_quote(m->payload());
        out += ",\"attributes\":{";
        bool first = true;
        for (const auto& [k, v] : m->attributes()) {
            if (!first) out += ',';
            out.append(json_quote(k)).append(":").append(json_quote(v));
            first = false;
        }
        out += "}}";
    }
    return out + "]";
}

request_policy policy_of(const std::string& name) {
    if (name == "hang") return request_policy::hang;
    if (name == "fail") return request_policy::fail;
    if (name == "echo") return request_policy::echo;
    return request_policy::ignore;
}

// The message as recorded: a request without its reply_path.
message_ptr for_the_record(const message_ptr& msg) {
    if (!msg->reply_to()) return msg;
    message::fields f;
    f.id = msg->id();
    f.source = msg->source();
    f.payload = std::string(msg->payload());
    f.binary = msg->binary();
    f.attributes = msg->attributes();
    f.format = msg->format();
    f.time = msg->time();
    return make_message(std::move(f));
}

}  // namespace

mock_endpoint::mock_endpoint(araldo::endpoint_context& ctx, mock_settings settings)
    : ctx_(ctx),
      settings_(std::move(settings)),
      wake_(ctx.executor()),
      responder_(ctx.executor(), policy_of(settings_.requests), settings_.reply_delay, ctx.log()) {
    // The core keeps endpoints alive for the process lifetime, so `this` stays valid.
    araldo::endpoint_gauge(ctx_, "araldo_mock_received", "messages delivered to a mock endpoint since it started",
                           [this] { return static_cast<double>(total_); });
    // What tests cannot see in the log line: the attributes each message carries.
    admin_route received{"received", false, {"GET"}, 0, [this](admin_request) -> asio::awaitable<http_response> {
        co_return http_response::json(200, received_json(received_));
    }};
    ctx_.http().add(std::move(received));
}

asio::awaitable<void> mock_endpoint::run_loop() {
    co_await inject_all();
    while (!stopping_) {
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled by stop()
    }
    if (settings_.stop_delay.count() > 0) {
        asio::steady_timer drain(ctx_.executor(), settings_.stop_delay);
        co_await drain.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

asio::awaitable<void> mock_endpoint::inject_all() {
    for (std::size_t i = 0; i < settings_.inject.size() && !stopping_; ++i) {
        if (i > 0) {
            co_await pause_between_injections();
            if (stopping_) break;
        }
        araldo::attributes attrs;
        if (settings_.channel) attrs.set("mock.channel", *settings_.channel);
        // Rejections are counted and logged by ingest(); the next payload still goes.
        ctx_.ingest(settings_.inject[i], false, std::move(attrs));
    }
    if (!settings_.inject.empty()) {
        ctx_.log().debug("injection finished");
    }
}

asio::awaitable<void> mock_endpoint::pause_between_injections() {
    if (settings_.inject_interval.count() <= 0) {
        // Back to back, but let deliveries and other endpoints run in between.
        co_await asio::post(ctx_.executor(), asio::use_awaitable);
        co_return;
    }
    wake_.expires_after(settings_.inject_interval);
    co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled by stop()
}

delivery_result mock_endpoint::record(const message_ptr& msg) {
    if (stopping_) return delivery_result::dropped("stopped");
    ++total_;
    try {
        if (settings_.record_limit > 0) {
            if (received_.size() >= settings_.record_limit) received_.pop_front();
            received_.push_back(for_the_record(msg));
        }
        ctx_.log().info("MOCK {} received {} {} bytes: {}", ctx_.name(), msg->id(), msg->payload().size(),
                        preview(*msg));
    } catch (const std::exception&) {
        // Out of memory while recording: the message was still delivered, and
        // deliver() must not throw.
    }
    return delivery_result::ok();
}

void mock_endpoint::request_stop() {
    stopping_ = true;
    responder_.stop();
    wake_.cancel();
}

std::unique_ptr<araldo::endpoint> make_mock_endpoint(araldo::endpoint_context& ctx) {
    return std::make_unique<mock_endpoint>(ctx, read_mock_settings(ctx.opts()));
}

}  // namespace araldo::plugins::endpoint_mock
