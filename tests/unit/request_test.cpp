#include <araldo/request.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

namespace {

using araldo::reply;
using araldo::reply_path;

reply_path::clock::time_point soon() { return reply_path::clock::now() + std::chrono::seconds(5); }

araldo::message_ptr request_message(std::shared_ptr<reply_path> to, std::string method, std::string noun,
                                    std::vector<std::string> args, std::string body = {}) {
    araldo::message::fields f;
    f.source = "api";
    f.payload = std::move(body);
    araldo::set_request_attributes(f.attributes, method, noun, args, "a=1&b=x%20y", "text/plain");
    f.reply_to = std::move(to);
    return araldo::make_message(std::move(f));
}

}  // namespace

TEST_CASE("the first answer wins and later ones are ignored", "[request]") {
    std::vector<reply> got;
    auto path = reply_path::make(soon(), [&](reply r) { got.push_back(std::move(r)); });
    CHECK_FALSE(path->answered());
    CHECK(path->answer(reply::json(201, R"({"a":1})", 0)));
    CHECK_FALSE(path->answer(reply::json(200, "{}")));
    path.reset();  // answered: the destructor adds nothing
    REQUIRE(got.size() == 1);
    CHECK(got[0].status == 201);
    CHECK(got[0].body == R"({"a":1})");
}

TEST_CASE("a request nobody answers says so when its last holder drops it", "[request]") {
    std::vector<reply> got;
    {
        auto msg = request_message(reply_path::make(soon(), [&](reply r) { got.push_back(std::move(r)); }), "GET",
                                   "time", {});
        auto copy = msg;  // a second holder, as a queue would be
        msg.reset();
        CHECK(got.empty());
    }
    REQUIRE(got.size() == 1);
    CHECK(got[0].status == 503);
    CHECK(got[0].return_code == -1);
    CHECK(got[0].body.find("no responder") != std::string::npos);
}

TEST_CASE("a request's attributes read back as they were written", "[request]") {
    auto msg = request_message(nullptr, "POST", "files/report", {"a/b", "", "x\"y"}, "body bytes");
    const auto req = araldo::read_request(*msg);
    REQUIRE(req);
    CHECK(req->method == "POST");
    CHECK(req->noun == "files/report");
    CHECK(req->args == std::vector<std::string>{"a/b", "", "x\"y"});
    CHECK(req->content_type == "text/plain");
    CHECK(req->body == "body bytes");
    CHECK(req->handler_name() == "post_files_report");
    CHECK(msg->attributes().get("type") == "post_files_report");  // what a route filter matches
    CHECK(req->query_param("b") == "x y");
    CHECK_FALSE(req->query_param("c"));
}

TEST_CASE("a message without a method is no request; bad args read as none", "[request]") {
    araldo::message::fields f;
    f.attributes.set("request.args", "[1,2]");
    CHECK_FALSE(araldo::read_request(*araldo::make_message(f)));
    f.attributes.set("request.method", "GET");
    auto req = araldo::read_request(*araldo::make_message(f));
    REQUIRE(req);
    CHECK(req->args.empty());
    f.attributes.set("request.args", "not json");
    CHECK(araldo::read_request(*araldo::make_message(f))->args.empty());
}

TEST_CASE("request_dispatch answers by handler name and forwards a failure", "[request]") {
    araldo::request_dispatch d;
    d.on("get_cat", [](const araldo::request_view& r) {
        std::string joined;
        for (const auto& a : r.args) joined += a;
        return reply::json(200, "\"" + joined + "\"");
    });
    d.on("get_fail", [](const araldo::request_view&) -> reply { throw std::out_of_range("no such file"); });

    std::vector<reply> got;
    const auto ask = [&](std::string noun, std::vector<std::string> args) {
        auto msg = request_message(reply_path::make(soon(), [&](reply r) { got.push_back(std::move(r)); }), "GET",
                                   std::move(noun), std::move(args));
        CHECK(d.deliver(*msg));
    };
    ask("cat", {"hello ", "world"});
    ask("fail", {});
    ask("dog", {});
    REQUIRE(got.size() == 3);
    CHECK(got[0].status == 200);
    CHECK(got[0].body == "\"hello world\"");
    CHECK(got[1].status == 502);
    CHECK(got[1].return_code == 1);
    CHECK(got[1].body == R"({"exception":{"message":"no such file","class":"std::out_of_range"}})");
    CHECK(got[2].status == 404);

    // A message that expects no reply is not the dispatcher's.
    CHECK_FALSE(d.deliver(*request_message(nullptr, "GET", "cat", {})));
}
