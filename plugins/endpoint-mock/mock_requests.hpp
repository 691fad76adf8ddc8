// How endpoint-mock treats request messages (option `requests`), so tests can
// play every kind of responder: one that never takes requests (ignore), one
// that takes them and never answers (hang), one that fails (fail), and one
// that answers, late and out of order if asked (echo with reply-delay).
//
// Header-only on purpose: mock_endpoint.hpp holds a mock_responder by value
// and is included by in-process tests, which must not need the plugin's
// objects (see mock_endpoint.hpp).
#pragma once

#include <araldo/encoding.hpp>
#include <araldo/json.hpp>
#include <araldo/message.hpp>
#include <araldo/request.hpp>
#include <araldo/units.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <list>
#include <random>
#include <string>
#include <utility>

namespace araldo::plugins::endpoint_mock {

namespace asio = boost::asio;

enum class request_policy { ignore, hang, fail, echo };

// Owned by its mock_endpoint; one thread.
class mock_responder {
public:
    mock_responder(asio::any_io_executor ex, request_policy policy, araldo::duration max_delay, spdlog::logger& log)
        : ex_(std::move(ex)), policy_(policy), max_delay_(max_delay), log_(log) {}

    // Acts on a request message as the policy says. Nothing for a message
    // that expects no reply, or after stop().
    void take(const message_ptr& msg) {
        if (!msg->reply_to() || stopped_) return;
        switch (policy_) {
            case request_policy::ignore: return;  // dropped with the message: the caller gets "no responder"
            case request_policy::hang: spawn(msg, msg->reply_to()->deadline(), false); return;
            case request_policy::fail:
            case request_policy::echo:
                if (max_delay_.count() <= 0) {
                    msg->reply_to()->answer(answer_for(*msg));
                    return;
                }
                spawn(msg, asio::steady_timer::clock_type::now() + random_delay(), true);
                return;
        }
    }

    // Lets go of every request still held, unanswered: each caller learns
    // "no responder" now rather than at its deadline.
    void stop() {
        stopped_ = true;
        for (auto& t : timers_) t.cancel();
    }

    std::size_t held() const noexcept { return timers_.size(); }

    // echo: the body back with the request's content type; with a query
    // parameter `describe`, a JSON description of the request instead.
    static araldo::reply echo(const message& msg) {
        const auto req = read_request(msg);
        if (!req) return araldo::reply::error(400, "not a request");
        if (req->query_param("describe")) return araldo::reply::json(200, describe(msg, *req));
        const std::string type = req->content_type.empty() ? "application/octet-stream" : req->content_type;
        return araldo::reply{200, type, std::string(msg.payload()), 0};
    }

private:
    araldo::reply answer_for(const message& msg) const {
        if (policy_ == request_policy::fail)
            return araldo::reply::exception("endpoint-mock was told to fail (requests: fail)", "mock_failure");
        return echo(msg);
    }

    // Appended piece by piece: g++ 12's -Wrestrict misreads "literal" + std::string&& (Release builds).
    static std::string describe(const message& msg, const request_view& req) {
        std::string out = "{\"method\":";
        out.append(json_quote(req.method)).append(",\"noun\":").append(json_quote(req.noun)).append(",\"args\":[");
        for (std::size_t i = 0; i < req.args.size(); ++i) {
            if (i) out += ',';
            out.append(json_quote(req.args[i]));
        }
        out.append("],\"query\":").append(json_quote(req.query));
        out.append(",\"content_type\":").append(json_quote(req.content_type));
        out.append(",\"binary\":").append(msg.binary() ? "true" : "false");
        out.append(",\"body\":").append(msg.binary() ? std::string("null") : json_quote(msg.payload()));
        out.append(",\"body_base64\":").append(json_quote(base64_encode(msg.payload()))).append(",\"attributes\":{");
        bool first = true;
        for (const auto& [k, v] : msg.attributes()) {
            if (!first) out += ',';
            out.append(json_quote(k)).append(":").append(json_quote(v));
            first = false;
        }
        return out.append("}}");
    }

    araldo::duration random_delay() {
        std::uniform_int_distribution<araldo::duration::rep> pick(0, max_delay_.count());
        return araldo::duration{pick(random_)};
    }

    void spawn(const message_ptr& msg, asio::steady_timer::time_point until, bool answer) {
        asio::co_spawn(ex_, hold(msg, until, answer), [&log = log_](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                log.error("holding a request failed: {}", x.what());
            }
        });
    }

    // Keeps the message, and so its reply_path, until `until` or stop().
    asio::awaitable<void> hold(message_ptr msg, asio::steady_timer::time_point until, bool answer) {
        auto timer = timers_.emplace(timers_.end(), ex_, until);
        co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
        timers_.erase(timer);
        if (answer && !stopped_) msg->reply_to()->answer(answer_for(*msg));
    }

    asio::any_io_executor ex_;
    request_policy policy_;
    araldo::duration max_delay_;
    spdlog::logger& log_;
    std::list<asio::steady_timer> timers_;  // one per request held
    std::mt19937_64 random_{std::random_device{}()};
    bool stopped_ = false;
};

}  // namespace araldo::plugins::endpoint_mock
