// endpoint-example-responder: an endpoint that answers requests (see
// endpoint-http's request mode). Routed a request message, it answers it
// through request_dispatch, by handler name (the method and the noun):
//
//   GET <path>/time                    -> {"time_from_server": <unix seconds>}
//   GET <path>/cat//hello%20/world     -> {"result": "hello world"}
//
// Everything a plugin needs is in <araldo/...>: the descriptor, the endpoint
// interface, request_dispatch, the metrics and the log rate limit.
#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/json.hpp>
#include <araldo/log_rate.hpp>
#include <araldo/metrics.hpp>
#include <araldo/plugin.hpp>
#include <araldo/request.hpp>
#include <araldo/wakeup.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <string>

namespace {

araldo::reply time_from_server(const araldo::request_view&) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    return araldo::reply::json(200, "{\"time_from_server\":" + std::to_string(now.count()) + "}");
}

araldo::reply cat(const araldo::request_view& req) {
    std::string joined;
    for (const auto& arg : req.args) joined += arg;
    return araldo::reply::json(200, "{\"result\":" + araldo::json_quote(joined) + "}");
}

// Owned by the core, which keeps its context alive longer.
class responder_endpoint final : public araldo::endpoint {
public:
    explicit responder_endpoint(araldo::endpoint_context& ctx)
        : ctx_(ctx),
          stopped_(ctx.executor()),
          not_requests_(araldo::endpoint_counter(ctx, "araldo_example_responder_not_requests_total",
                                                 "messages routed to the responder that expected no reply")) {
        dispatch_.on("get_time", time_from_server);
        dispatch_.on("get_cat", cat);
    }

    boost::asio::awaitable<void> run() override {
        while (!stopping_) co_await stopped_.wait();
    }

    // Answers inline: request_dispatch turns a handler's exception into a
    // 502 reply and an unknown name into a 404, so nothing escapes here.
    araldo::delivery_result deliver(const araldo::message_ptr& msg) override {
        if (dispatch_.deliver(*msg)) return araldo::delivery_result::ok();
        not_requests_.inc();
        if (araldo::worth_logging(not_requests_.value()))
            ctx_.log().warn("dropping message {}: it expects no reply ({} so far)", msg->id(), not_requests_.value());
        return araldo::delivery_result::dropped("not_a_request");
    }

    void stop() override {
        stopping_ = true;
        stopped_.notify();
    }

private:
    araldo::endpoint_context& ctx_;
    araldo::request_dispatch dispatch_;
    araldo::wakeup stopped_;
    araldo::counter& not_requests_;
    bool stopping_ = false;
};

araldo::plugin_descriptor describe() {
    araldo::plugin_descriptor d;
    d.name = "plugin-responder";
    d.version = "1.0.0";
    d.endpoints.push_back(araldo::endpoint_factory{
        "endpoint-example-responder",
        "Answers requests: GET time (the server's Unix time) and GET cat//<args> (the arguments joined).",
        {},
        [](araldo::endpoint_context& ctx) -> std::unique_ptr<araldo::endpoint> {
            return std::make_unique<responder_endpoint>(ctx);
        },
    });
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
