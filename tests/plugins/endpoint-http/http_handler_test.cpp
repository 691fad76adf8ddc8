// endpoint-http's handler in process, against a fake context: what the
// message it emits carries (id, attributes, format), which the binary's
// outputs cannot show.
#include "http_endpoint.hpp"

#include <araldo/context.hpp>
#include <araldo/request.hpp>
#include <araldo/signing.hpp>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <map>

using namespace araldo;
using namespace araldo::plugins::endpoint_http;

namespace {

// Lifts "type" from a body that starts with "type=", refuses "bad".
class fake_marshaller final : public marshaller {
public:
    std::string_view id() const noexcept override { return "fake"; }
    unmarshal_result unmarshal(std::string_view bytes, bool, attributes& attrs) const override {
        if (bytes == "bad") return unmarshal_result::failure("bad input");
        if (bytes.starts_with("type=")) attrs.set("type", std::string(bytes.substr(5)));
        return unmarshal_result::success();
    }
    encoded marshal(const message_ptr& msg) const override { return pass_through(msg); }
};

class fake_registry final : public http_registry, public metrics_registry {
public:
    void add(http_route route) override { routes.push_back(std::move(route)); }
    void add(upgrade_route) override {}
    araldo::counter& counter(std::string_view name, metric_labels labels, std::string_view) override {
        std::string key{name};
        for (const auto& [k, v] : labels) key += "," + k + "=" + v;
        return counters[key];
    }
    void gauge(std::string_view, metric_labels, std::string_view, std::function<double()>) override {}

    std::vector<http_route> routes;
    std::map<std::string, araldo::counter> counters;
};

class fake_context final : public endpoint_context {
public:
    explicit fake_context(options o)
        : opts_(std::move(o)), log_("test", std::make_shared<spdlog::sinks::null_sink_mt>()) {}
    const std::string& name() const override { return name_; }
    const options& opts() const override { return opts_; }
    const global_settings& global() const override { return global_; }
    asio::any_io_executor executor() const override { return io.get_executor(); }
    spdlog::logger& log() const override { return log_; }
    const marshaller& marshalling() const override { return marshaller_; }
    http_registry& http() override { return registry; }
    metrics_registry& metrics() override { return registry; }
    ingest_result ingest(std::string, bool, attributes) override { throw std::logic_error("not used"); }
    message_ptr emit(message::fields) override { throw std::logic_error("not used"); }
    // The core's contract in small: the marshaller's attributes first, the
    // caller's over them; a rejection is returned, a durable refusal reported.
    ingest_result ingest(message::fields f) override {
        attributes lifted;
        auto r = marshaller_.unmarshal(f.payload, f.binary, lifted);
        if (!r.ok) return {nullptr, r.error, {}};
        for (const auto& [k, v] : f.attributes) lifted.set(k, v);
        f.attributes = std::move(lifted);
        f.format = &marshaller_;
        f.source = name_;
        auto msg = make_message(std::move(f));
        if (responder) responder(msg);
        if (keep) emitted.push_back(msg);
        return {msg, {}, refused_by};
    }

    std::string refused_by;  // set by a test: a durable target refuses
    // Request mode: what "routing" does with the message; keep=false lets it go.
    std::function<void(const message_ptr&)> responder;
    bool keep = true;

    mutable asio::io_context io;
    fake_registry registry;
    std::vector<message_ptr> emitted;

private:
    std::string name_ = "emit";
    options opts_;
    global_settings global_;
    mutable spdlog::logger log_;
    fake_marshaller marshaller_;
};

options endpoint_options(std::vector<std::string> secrets = {}, std::vector<std::string> client_certs = {},
                         std::string path_suffix = "type", std::string path = "/emit", std::string mode = "emit") {
    options o;
    o.set("path", std::move(path), {}, false);
    o.set("mode", std::move(mode), {}, false);
    o.set("peer-in-path", false, {}, false);
    o.set("timeout", araldo::duration{std::chrono::seconds(30)}, {}, false);
    o.set("max-in-flight", std::int64_t{10000}, {}, false);
    o.set("path-suffix", std::move(path_suffix), {}, false);
    o.set("max-body-size", std::uint64_t{4096}, {}, true);
    auto auth = std::make_shared<options>();
    if (!client_certs.empty()) auth->set("client-certs", std::move(client_certs), {}, true);
    o.set("auth", std::shared_ptr<const options>(auth), {}, auth->given("client-certs"));
    if (!secrets.empty()) o.set("verify-signature", std::move(secrets), {}, true);
    o.set("signature-tolerance", araldo::duration{std::chrono::minutes(5)}, {}, false);
    return o;
}

http_request post(std::string target, std::string body, string_pairs headers = {}) {
    http_request r;
    r.method = "POST";
    r.target = target;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    r.headers = std::move(headers);
    r.headers.emplace_back("content-type", "application/json");
    r.body = std::move(body);
    r.remote_address = "127.0.0.1:40000";
    return r;
}

http_response call(fake_context& ctx, http_request req) {
    auto future = asio::co_spawn(ctx.io, ctx.registry.routes.at(0).handler(std::move(req)), asio::use_future);
    ctx.io.restart();
    ctx.io.run();
    return future.get();
}

}  // namespace

TEST_CASE("the handler registers one POST prefix route and emits messages with http attributes",
          "[http_endpoint][unit]") {
    fake_context ctx(endpoint_options());
    auto ep = make_http_endpoint(ctx);
    REQUIRE(ctx.registry.routes.size() == 1);
    const http_route& route = ctx.registry.routes[0];
    CHECK(route.path == "/emit");
    CHECK(route.prefix);
    CHECK(route.methods == std::vector<std::string>{"POST"});
    CHECK(route.max_body == 4096);

    auto r = call(ctx, post("/emit/from-path?x=1", "type=from-body"));
    CHECK(r.status == 202);
    REQUIRE(ctx.emitted.size() == 1);
    const message& m = *ctx.emitted[0];
    CHECK(r.body == "{\"id\":\"" + m.id() + "\",\"message\":\"ok\"}");
    CHECK(m.payload() == "type=from-body");
    CHECK_FALSE(m.binary());
    CHECK(m.type() == "from-path");
    CHECK(m.attributes().get("http.path") == "/emit/from-path");
    CHECK(m.attributes().get("http.remote") == "127.0.0.1:40000");
    CHECK(m.format() == &ctx.marshalling());

    CHECK(call(ctx, post("/emit", "type=from-body")).status == 202);
    CHECK(ctx.emitted.back()->type() == "from-body");
    CHECK(call(ctx, post("/emit/", "plain")).status == 202);
    CHECK_FALSE(ctx.emitted.back()->attributes().contains("type"));

    auto bad = call(ctx, post("/emit", "bad"));
    CHECK(bad.status == 400);
    CHECK(bad.body == R"({"error":"bad input","status":400})");
    CHECK(ctx.emitted.size() == 3);
    CHECK(ctx.registry.counters["araldo_http_requests_total,endpoint=emit,status=202"].value() == 3);
    CHECK(ctx.registry.counters["araldo_http_requests_total,endpoint=emit,status=400"].value() == 1);

    CHECK(ep->deliver(ctx.emitted[0]).reason == "ingress_only");
    ep->stop();
    CHECK(call(ctx, post("/emit", "x")).status == 503);
}

TEST_CASE("a verified webhook-id becomes the message id", "[http_endpoint][unit]") {
    const std::string key = "0123456789abcdef0123456789abcdef";
    fake_context ctx(endpoint_options({"whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}));
    auto ep = make_http_endpoint(ctx);
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    const std::string ts = std::to_string(now.count());
    auto headers = [&](const std::string& id) {
        return string_pairs{{"webhook-id", id},
                            {"webhook-timestamp", ts},
                            {"webhook-signature", araldo::standard_webhook_signature(key, id, ts, "{}")}};
    };
    auto ok = call(ctx, post("/emit", "{}", headers("msg_abc")));
    CHECK(ok.status == 202);
    REQUIRE(ctx.emitted.size() == 1);
    CHECK(ctx.emitted[0]->id() == "msg_abc");
    CHECK(ok.body == R"({"id":"msg_abc","message":"ok"})");
    // Signed, but not an id the admin API could address: the SDK's one rule.
    const std::vector<std::string> unaddressable{"msg\"x", "msg/x", "msg x", std::string(129, 'a')};
    for (const auto& bad : unaddressable) {
        auto refused = call(ctx, post("/emit", "{}", headers(bad)));
        CHECK(refused.status == 400);
    }
    CHECK(call(ctx, post("/emit", "{}", headers("msg.2~x_y-z"))).status == 202);
    CHECK(ctx.emitted.size() == 2);
}

TEST_CASE("a durable target's refusal turns the 202 into a 503 with Retry-After", "[http_endpoint][unit]") {
    fake_context ctx(endpoint_options());
    auto ep = make_http_endpoint(ctx);
    ctx.refused_by = "hooks";
    auto r = call(ctx, post("/emit", "x"));
    CHECK(r.status == 503);
    CHECK(r.body == R"({"error":"hooks cannot take the message now; retry later","status":503})");
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0].first == "Retry-After");
    CHECK(r.headers[0].second == "5");
    CHECK(ctx.registry.counters["araldo_http_requests_total,endpoint=emit,status=503"].value() == 1);
    ctx.refused_by.clear();
    CHECK(call(ctx, post("/emit", "x")).status == 202);
}

namespace {

// What the core's TLS listener sets on a request: shared by the requests of a connection.
std::shared_ptr<const tls_info> over_tls(std::optional<tls_peer> peer) {
    auto info = std::make_shared<tls_info>();
    info->version = "TLSv1.3";
    info->cipher = "TLS_AES_128_GCM_SHA256";
    info->peer = std::move(peer);
    return info;
}

http_request post_tls(std::shared_ptr<const tls_info> tls) {
    http_request r = post("/emit", "plain");
    r.listener = "public";
    r.tls = std::move(tls);
    return r;
}

const tls_peer client_a{"client-a", {"client-a.example", "spiffe://araldo.test/client-a"}};

}  // namespace

TEST_CASE("a verified client certificate's names become tls.cn and tls.san", "[http_endpoint][unit][tls]") {
    fake_context ctx(endpoint_options());
    auto ep = make_http_endpoint(ctx);
    CHECK(call(ctx, post_tls(over_tls(client_a))).status == 202);
    REQUIRE(ctx.emitted.size() == 1);
    const auto& attrs = ctx.emitted[0]->attributes();
    CHECK(attrs.get("tls.cn") == "client-a");
    CHECK(attrs.get("tls.san") == "client-a.example spiffe://araldo.test/client-a");
    CHECK(attrs.get("http.remote") == "127.0.0.1:40000");

    // TLS without a client certificate, and plain HTTP: no identity to carry.
    CHECK(call(ctx, post_tls(over_tls(std::nullopt))).status == 202);
    CHECK(call(ctx, post("/emit", "plain")).status == 202);
    REQUIRE(ctx.emitted.size() == 3);
    for (std::size_t i : {1, 2}) {
        CHECK_FALSE(ctx.emitted[i]->attributes().contains("tls.cn"));
        CHECK_FALSE(ctx.emitted[i]->attributes().contains("tls.san"));
    }
}

TEST_CASE("auth client-certs: 401 with the reason unless a listed certificate was verified",
          "[http_endpoint][unit][tls]") {
    fake_context ctx(endpoint_options({}, {"client-a"}));
    auto ep = make_http_endpoint(ctx);
    auto ok = call(ctx, post_tls(over_tls(client_a)));
    CHECK(ok.status == 202);
    REQUIRE(ctx.emitted.size() == 1);
    CHECK(ctx.emitted[0]->attributes().get("tls.cn") == "client-a");

    struct refusal {
        http_request req;
        std::string body;
    };
    std::vector<refusal> refusals;
    refusals.push_back(
        {post("/emit", "plain", {{"Authorization", "Bearer client-a"}}),
         R"x({"error":"client certificate required (the request did not come over TLS)","status":401})x"});
    refusals.push_back({post_tls(over_tls(std::nullopt)), R"({"error":"client certificate required","status":401})"});
    refusals.push_back({post_tls(over_tls(tls_peer{"client-b", {"client-a.example.org"}})),
                        R"({"error":"client certificate CN=client-b is not accepted here","status":401})"});
    for (auto& r : refusals) {
        auto answer = call(ctx, std::move(r.req));
        CHECK(answer.status == 401);
        CHECK(answer.body == r.body);
        CHECK(answer.headers.empty());  // no WWW-Authenticate: HTTP has no scheme for certificates
    }
    CHECK(ctx.emitted.size() == 1);
    CHECK(ctx.registry.counters["araldo_http_requests_total,endpoint=emit,status=401"].value() == 3);
    CHECK(ctx.registry.counters["araldo_http_requests_total,endpoint=emit,status=202"].value() == 1);
}

namespace {

std::optional<std::string_view> folder_of(const message_ptr& m) { return m->attributes().get("folder"); }

}  // namespace

TEST_CASE("a folder from ?folder=, the Araldo-Folder header or the body", "[http_endpoint][unit][folder]") {
    fake_context ctx(endpoint_options());
    auto ep = make_http_endpoint(ctx);
    REQUIRE(call(ctx, post("/emit/sensor_update?folder=/acme/greenhouse/pi-7", "x")).status == 202);
    CHECK(folder_of(ctx.emitted.back()) == "/acme/greenhouse/pi-7");
    CHECK(ctx.emitted.back()->type() == "sensor_update");  // the path still names the type here

    REQUIRE(call(ctx, post("/emit?folder=%2Facme%2Fcaf%C3%A9", "x")).status == 202);
    CHECK(folder_of(ctx.emitted.back()) == "/acme/caf\xC3\xA9");
    REQUIRE(call(ctx, post("/emit", "x", {{"Araldo-Folder", "/acme/header"}})).status == 202);
    CHECK(folder_of(ctx.emitted.back()) == "/acme/header");
    // The query wins over the header; an empty one is no folder.
    REQUIRE(call(ctx, post("/emit?folder=/q", "x", {{"araldo-folder", "/h"}})).status == 202);
    CHECK(folder_of(ctx.emitted.back()) == "/q");
    REQUIRE(call(ctx, post("/emit?folder=", "x", {{"araldo-folder", "/h"}})).status == 202);
    CHECK(folder_of(ctx.emitted.back()) == "/h");
    REQUIRE(call(ctx, post("/emit", "x")).status == 202);
    CHECK_FALSE(folder_of(ctx.emitted.back()));
    // On this endpoint a path names a type, never a folder.
    REQUIRE(call(ctx, post("/emit/acme/greenhouse", "x")).status == 202);
    CHECK_FALSE(folder_of(ctx.emitted.back()));
    CHECK(ctx.emitted.back()->type() == "acme/greenhouse");
    CHECK(ctx.emitted.size() == 7);
}

TEST_CASE("an invalid folder is a 400 naming where it came from", "[http_endpoint][unit][folder]") {
    fake_context ctx(endpoint_options({}, {}, "folder"));
    auto ep = make_http_endpoint(ctx);
    struct refusal {
        http_request req;
        std::string body;
    };
    std::vector<refusal> refusals;
    refusals.push_back({post("/emit?folder=acme", "x"),
                        R"({"error":"invalid folder in ?folder=: a folder starts with '/'","status":400})"});
    refusals.push_back(
        {post("/emit?folder=/a/../b", "x"),
         R"({"error":"invalid folder in ?folder=: a folder cannot hold a '.' or '..' segment","status":400})"});
    refusals.push_back(
        {post("/emit?folder=/a%00b", "x"),
         R"({"error":"invalid folder in ?folder=: a folder cannot hold control characters","status":400})"});
    refusals.push_back(
        {post("/emit", "x", {{"Araldo-Folder", "/a/"}}),
         R"({"error":"invalid folder in the Araldo-Folder header: a folder cannot end with '/'","status":400})"});
    refusals.push_back(
        {post("/emit/acme//x", "x"),
         R"x({"error":"invalid folder in the path: a folder cannot hold an empty segment ('//')","status":400})x"});
    refusals.push_back({post("/emit/acme/", "x"),
                        R"({"error":"invalid folder in the path: a folder cannot end with '/'","status":400})"});
    for (auto& r : refusals) {
        INFO(r.req.target);
        auto answer = call(ctx, std::move(r.req));
        CHECK(answer.status == 400);
        CHECK(answer.body == r.body);
    }
    CHECK(ctx.emitted.empty());
    CHECK(ctx.registry.counters["araldo_http_requests_total,endpoint=emit,status=400"].value() == 6);
}

TEST_CASE("path-suffix: folder makes the path below `path` the folder", "[http_endpoint][unit][folder]") {
    fake_context ctx(endpoint_options({}, {}, "folder"));
    auto ep = make_http_endpoint(ctx);
    REQUIRE(call(ctx, post("/emit/acme/greenhouse/pi-7?type=sensor_update", "x")).status == 202);
    CHECK(folder_of(ctx.emitted.back()) == "/acme/greenhouse/pi-7");
    CHECK(ctx.emitted.back()->type() == "sensor_update");
    REQUIRE(call(ctx, post("/emit/acme/greenhouse", "type=from-body")).status == 202);
    CHECK(ctx.emitted.back()->type() == "from-body");  // the path is no type here
    REQUIRE(call(ctx, post("/emit/", "x")).status == 202);
    CHECK(folder_of(ctx.emitted.back()) == "/");
    REQUIRE(call(ctx, post("/emit", "x")).status == 202);
    CHECK_FALSE(folder_of(ctx.emitted.back()));
    // ?folder= and the header still win over the path.
    REQUIRE(call(ctx, post("/emit/acme/path?folder=/acme/query", "x")).status == 202);
    CHECK(folder_of(ctx.emitted.back()) == "/acme/query");
    REQUIRE(call(ctx, post("/emit/acme/path", "x", {{"Araldo-Folder", "/acme/header"}})).status == 202);
    CHECK(folder_of(ctx.emitted.back()) == "/acme/header");

    // At the root of the listener, the whole path is the folder.
    fake_context root(endpoint_options({}, {}, "folder", "/"));
    auto at_root = make_http_endpoint(root);
    REQUIRE(call(root, post("/acme/greenhouse", "x")).status == 202);
    CHECK(folder_of(root.emitted.back()) == "/acme/greenhouse");
}

namespace {

std::optional<std::string_view> header_of(const http_response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return std::nullopt;
}

}  // namespace

TEST_CASE("request mode: the responder's reply is the response, with its return code", "[http_endpoint][unit]") {
    fake_context ctx(endpoint_options({}, {}, "type", "/api", "request"));
    auto ep = make_http_endpoint(ctx);
    REQUIRE(ctx.registry.routes.at(0).methods == std::vector<std::string>{"GET", "POST", "PUT", "DELETE"});
    std::optional<request_view> seen;
    ctx.keep = false;
    ctx.responder = [&](const message_ptr& m) {
        seen = read_request(*m);
        m->reply_to()->answer(reply{201, "text/plain", "made", 7});
    };
    auto req = post("/api/files/report//a%2Fb/c?x=1", "{}");
    req.method = "PUT";
    const auto r = call(ctx, std::move(req));
    CHECK(r.status == 201);
    CHECK(r.content_type == "text/plain");
    CHECK(r.body == "made");
    CHECK(header_of(r, "X-Event-Return-Code") == "7");
    REQUIRE(seen);
    CHECK(seen->method == "PUT");
    CHECK(seen->noun == "files/report");
    CHECK(seen->args == std::vector<std::string>{"a/b", "c"});
    CHECK(seen->query == "x=1");
    CHECK(seen->content_type == "application/json");
    CHECK(ctx.registry.counters["araldo_http_request_results_total,endpoint=emit,result=ok"].value() == 1);
}

TEST_CASE("request mode: nobody holding the request is a 503 at once", "[http_endpoint][unit]") {
    fake_context ctx(endpoint_options({}, {}, "type", "/api", "request"));
    auto ep = make_http_endpoint(ctx);
    ctx.keep = false;  // no route took it: the reply_path answers itself
    const auto r = call(ctx, post("/api/time", ""));
    CHECK(r.status == 503);
    CHECK(r.body == R"({"error":"no responder answered the request","status":503})");
    CHECK(header_of(r, "X-Event-Return-Code") == "-1");
    CHECK(ctx.registry.counters["araldo_http_request_results_total,endpoint=emit,result=no_responder"].value() == 1);
}

TEST_CASE("request mode: bad paths and rejected bodies are 400s", "[http_endpoint][unit]") {
    fake_context ctx(endpoint_options({}, {}, "type", "/api", "request"));
    auto ep = make_http_endpoint(ctx);
    ctx.keep = false;
    auto r = call(ctx, post("/api/a/", ""));
    CHECK(r.status == 400);
    CHECK(r.body.find("an empty segment in the noun") != std::string::npos);
    r = call(ctx, post("/api/time", "bad"));
    CHECK(r.status == 400);
    CHECK(r.body == R"({"error":"bad input","status":400})");
    CHECK(ctx.registry.counters["araldo_http_request_results_total,endpoint=emit,result=rejected"].value() == 2);
}

TEST_CASE("request mode: a reply with an impossible status is a 502", "[http_endpoint][unit]") {
    fake_context ctx(endpoint_options({}, {}, "type", "/api", "request"));
    auto ep = make_http_endpoint(ctx);
    ctx.keep = false;
    ctx.responder = [](const message_ptr& m) { m->reply_to()->answer(reply{99, "text/plain\r\nX: y", "", 0}); };
    const auto r = call(ctx, post("/api/time", ""));
    CHECK(r.status == 502);
    CHECK(r.body.find("the responder answered with status 99") != std::string::npos);
}

TEST_CASE("request mode: at stop, a waiting request gets its reply within the grace, else 503", "[http_endpoint][unit]") {
    fake_context ctx(endpoint_options({}, {}, "type", "/api", "request"));
    auto ep = make_http_endpoint(ctx);
    auto run = asio::co_spawn(ctx.io, ep->run(), asio::use_future);
    // Kept by the fake router: nobody answers and nobody lets go unless the
    // test does, as a link that still waits for the far side would.
    auto answered = asio::co_spawn(ctx.io, ctx.registry.routes.at(0).handler(post("/api/one", "")), asio::use_future);
    auto held = asio::co_spawn(ctx.io, ctx.registry.routes.at(0).handler(post("/api/two", "")), asio::use_future);
    ctx.io.poll();
    REQUIRE(ctx.emitted.size() == 2);
    ep->stop();
    ctx.io.poll();
    // The responder answers the first while the endpoint drains (half of the
    // default 5 s shutdown-timeout).
    asio::steady_timer later{ctx.io, std::chrono::milliseconds(50)};
    later.async_wait([&](auto) { ctx.emitted.at(0)->reply_to()->answer(araldo::reply::json(200, R"({"ok":true})")); });
    ctx.io.run();  // a waiter left behind would hold this until its 30 s deadline
    run.get();
    CHECK(answered.get().status == 200);
    const auto r = held.get();
    CHECK(r.status == 503);
    CHECK(r.body == R"({"error":"shutting down","status":503})");
}
