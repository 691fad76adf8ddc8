// A responder for the link tests (id test-responder), built only for them:
// answers requests the way a real one would, plus the misbehaviours a link
// must carry faithfully. Handlers (request_dispatch names):
//   get_time          {"time_from_server": <unix seconds>, "node": <responder's name>}
//   get_cat, post_cat {"args": [...], "query": "...", "content_type": "..."} as JSON, or a
//                     binary body echoed back as application/octet-stream
//   get_fail          throws: a 502 with the exception
//   get_hang          never answers (keeps the request until the relay stops): a 504
//   get_slow//<ms>    answers {"slept": <ms>} after that long
#include <araldo/json.hpp>
#include <araldo/plugin.hpp>
#include <araldo/request.hpp>
#include <araldo/wakeup.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;

class test_responder final : public araldo::endpoint {
public:
    explicit test_responder(araldo::endpoint_context& ctx) : ctx_(ctx), stopped_(ctx.executor()) {
        dispatch_.on("get_time", [this](const araldo::request_view&) {
            return araldo::reply::json(200, R"({"time_from_server":)" + std::to_string(std::time(nullptr)) +
                                                R"(,"node":)" + araldo::json_quote(ctx_.name()) + "}");
        });
        auto cat = [](const araldo::request_view& req) {
            if (req.content_type == "application/octet-stream")
                return araldo::reply{200, "application/octet-stream", std::string(req.body), 0};
            std::string args = "[";
            for (const auto& a : req.args) args += (args.size() > 1 ? "," : "") + araldo::json_quote(a);
            return araldo::reply::json(200, R"({"args":)" + args + R"(],"query":)" + araldo::json_quote(req.query) +
                                                R"(,"content_type":)" + araldo::json_quote(req.content_type) +
                                                R"(,"body":)" + araldo::json_quote(req.body) + "}");
        };
        dispatch_.on("get_cat", cat);
        dispatch_.on("post_cat", cat);
        dispatch_.on("get_fail", [](const araldo::request_view&) -> araldo::reply {
            throw std::runtime_error("the responder failed on purpose");
        });
    }

    asio::awaitable<void> run() override {
        while (!stopping_) co_await stopped_.wait();
        held_.clear();
    }

    araldo::delivery_result deliver(const araldo::message_ptr& msg) override {
        auto req = araldo::read_request(*msg);
        if (!req || !msg->reply_to()) return araldo::delivery_result::dropped("not_a_request");
        const std::string name = req->handler_name();
        if (name == "get_hang") {
            held_.push_back(msg);
            return araldo::delivery_result::ok();
        }
        if (name == "get_slow" && !req->args.empty()) {
            const int ms = std::stoi(req->args[0]);
            asio::co_spawn(ctx_.executor(), answer_later(msg, ms), asio::detached);
            return araldo::delivery_result::ok();
        }
        dispatch_.deliver(*msg);
        return araldo::delivery_result::ok();
    }

    void stop() override {
        stopping_ = true;
        stopped_.notify();
    }

private:
    asio::awaitable<void> answer_later(araldo::message_ptr msg, int ms) {
        asio::steady_timer timer(ctx_.executor(), std::chrono::milliseconds(ms));
        co_await timer.async_wait(asio::use_awaitable);
        msg->reply_to()->answer(araldo::reply::json(200, R"({"slept":)" + std::to_string(ms) + "}"));
    }

    araldo::endpoint_context& ctx_;
    araldo::request_dispatch dispatch_;
    araldo::wakeup stopped_;
    bool stopping_ = false;
    std::vector<araldo::message_ptr> held_;
};

araldo::plugin_descriptor describe() {
    araldo::plugin_descriptor d;
    d.name = "test-responder";
    d.version = "0.1.0";
    d.endpoints.push_back(araldo::endpoint_factory{
        "test-responder", "Link tests: answers time, cat, fail, hang and slow requests.", {},
        [](araldo::endpoint_context& ctx) -> std::unique_ptr<araldo::endpoint> {
            return std::make_unique<test_responder>(ctx);
        }});
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
