// endpoint-http in, endpoint-webhook out: the emit API fans out to signed
// webhooks, and an araldo endpoint-http verifies araldo's own signatures.
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace araldo::test;
using namespace araldo::test::webhook;
using namespace std::chrono_literals;

TEST_CASE("a POST to endpoint-http fans out to two webhooks", "[webhook][http]") {
    receiver json_rx({secret_a}), form_rx({secret_b});
    relay r(R"(global:
  server-port: 0
  data-dir: "{DIR}/data"
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, path: /emit, marshalling: json}
    - {name: a, id: endpoint-webhook, url: ")" +
            json_rx.url() + R"(", secret: ")" + secret_a + R"("}
    - {name: b, id: endpoint-webhook, url: ")" +
            form_rx.url() + R"(", secret: ")" + secret_b + R"(", content-type: form}
routes:
  emit: [a, b]
)");
    std::string body = R"({"type":"comment-added","parameters":{"text":"hi"}})";
    auto res = http_request(r.port(), "POST", "/emit", body, {{"Content-Type", "application/json"}});
    REQUIRE(res.status == 202);
    std::string id(boost::json::parse(res.body).at("id").as_string());
    REQUIRE(json_rx.wait_for(1));
    REQUIRE(form_rx.wait_for(1));
    auto j = json_rx.requests()[0];
    auto f = form_rx.requests()[0];
    CHECK(j.header("webhook-id") == id);
    CHECK(f.header("webhook-id") == id);
    CHECK(j.body == body);
    CHECK(f.body.starts_with("payload=%7B%22type%22%3A%22comment-added%22"));
    CHECK(j.signature_valid);
    INFO(j.signature_problem);
    CHECK(f.signature_valid);
    INFO(f.signature_problem);
}

TEST_CASE("endpoint-http with verify-signature accepts araldo's deliveries and refuses a wrong secret",
          "[webhook][http]") {
    unsigned short port = free_port();
    std::string url = "http://127.0.0.1:" + std::to_string(port) + "/verified";
    relay r(R"(global:
  server-port: )" +
                std::to_string(port) + R"(
  data-dir: "{DIR}/data"
  admin-token: ")" +
                admin_token + R"("
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: in, id: endpoint-file, input: "-"}
    - {name: good, id: endpoint-webhook, url: ")" +
                url + R"(", secret: [")" + secret_b + R"(", ")" + secret_a + R"("]}
    - {name: bad, id: endpoint-webhook, url: ")" +
                url + R"(", secret: ")" + secret_b + R"("}
    - {name: verified, id: endpoint-http, path: /verified, marshalling: json, verify-signature: ")" +
                secret_a + R"("}
    - {name: out, id: endpoint-file, output: "{DIR}/out.jsonl"}
routes:
  in: [good, bad]
  verified: [out]
)",
            {.pipe_stdin = true});
    r.process().write_stdin("{\"type\":\"relayed\",\"n\":1}\n");
    REQUIRE(wait_until([&] { return !read_file(r.path("out.jsonl")).empty(); }));
    CHECK(read_file(r.path("out.jsonl")) == "{\"type\":\"relayed\",\"n\":1}\n");
    // The bad secret gets a 401: a client error, so a dead letter at once.
    REQUIRE(wait_until([&] { return dead_letters(r, "bad").size() == 1; }));
    CHECK(dead_letters(r, "bad")[0].at("last_error").as_string() == "HTTP 401");
    CHECK(dead_letters(r, "good").empty());
}
