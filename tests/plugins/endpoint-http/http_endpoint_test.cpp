// endpoint-http through the real binary: POSTs on the core listener become
// messages routed to endpoint-file outputs, checked line for line; every
// refusal is checked on the wire, and nothing refused reaches a file.
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

// The sender's secret, as the test signs with it: raw bytes, and the whsec_ form.
const std::string secret_bytes = "araldo-test-secret-0123456789abcd";

std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// The signature a Standard Webhooks sender computes, written independently
// of the plugin's code.
std::string sign(const std::string& key, const std::string& id, const std::string& timestamp, const std::string& body) {
    const std::string content = id + "." + timestamp + "." + body;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
         content.size(), mac, &len);
    return "v1," + base64(std::string(reinterpret_cast<const char*>(mac), len));
}

std::string unix_now(std::chrono::seconds offset = 0s) {
    const auto now = std::chrono::system_clock::now() + offset;
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

std::string config() {
    return R"(global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, marshalling: json, max-body-size: 1KiB}
    - name: secure
      id: endpoint-http
      path: /secure
      marshalling: json
      auth: {tokens: [t0k3n, other-token], basic: ["sender:s3cret"]}
    - {name: hooks, id: endpoint-http, path: /hooks, marshalling: json, verify-signature: [whsec_bm90LXRoaXMtb25l, whsec_)" +
           base64(secret_bytes) + R"(]}
    - {name: all, id: endpoint-file, output: "{DIR}/all.jsonl", marshalling: json}
    - {name: comments, id: endpoint-file, output: "{DIR}/comments.jsonl", marshalling: json}
    - {name: sink, id: endpoint-mock}
routes:
  emit: [all, {to: comments, type: "comment-*"}]
  secure: [all]
  hooks: [all, sink]
)";
}

http_reply post_json(const relay& r, const std::string& target, const std::string& body, header_list headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return http_request(r.port(), "POST", target, body, headers);
}

std::size_t count_lines(const std::string& text) {
    std::size_t n = 0;
    for (char c : text) n += c == '\n';
    return n;
}

// Waits until the file holds `lines` lines, then returns it.
std::string wait_lines(const relay& r, const std::string& name, std::size_t lines) {
    wait_until([&] { return count_lines(read_file(r.path(name))) >= lines; });
    return read_file(r.path(name));
}

// The id in {"id":"...","message":"ok"}.
std::string id_of(const http_reply& reply) {
    const std::string key = "{\"id\":\"";
    if (!reply.body.starts_with(key)) return {};
    return reply.body.substr(key.size(), reply.body.find('"', key.size()) - key.size());
}

// SIGTERM, exit 0, and nothing from the sanitizers (UBSan reports without failing).
void stop_cleanly(relay& r) {
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
    CHECK_THAT(r.process().err(), !Catch::Contains("runtime error:") && !Catch::Contains("Sanitizer"));
}

void check_error(const http_reply& reply, int status, const std::string& reason) {
    INFO(reply.body);
    CHECK(reply.status == status);
    CHECK(reply.header("content-type") == "application/json");
    CHECK_THAT(reply.body, Catch::StartsWith("{\"error\":\"") && Catch::Contains(reason) &&
                               Catch::EndsWith("\"status\":" + std::to_string(status) + "}"));
}

}  // namespace

TEST_CASE("a JSON body becomes a message: 202 with its id, the line in the output", "[http_endpoint]") {
    relay r(config());
    const std::string body = R"({"type":"comment-added","parameters":{"text":"hi"}})";
    auto reply = post_json(r, "/emit", body);
    CHECK(reply.status == 202);
    CHECK(reply.header("content-type") == "application/json");
    const std::string id = id_of(reply);
    CHECK(id.size() == 26);
    CHECK(reply.body == "{\"id\":\"" + id + "\",\"message\":\"ok\"}");
    CHECK(wait_lines(r, "all.jsonl", 1) == body + "\n");
    CHECK(wait_lines(r, "comments.jsonl", 1) == body + "\n");

    // application/<x>+json and a charset parameter are JSON too.
    auto cloud = http_request(r.port(), "POST", "/emit", R"({"n":2})",
                              {{"Content-Type", "application/cloudevents+json; charset=utf-8"}});
    CHECK(cloud.status == 202);
    CHECK(id_of(cloud) != id);
    CHECK(wait_lines(r, "all.jsonl", 2) == body + "\n" + R"({"n":2})" + "\n");
    stop_cleanly(r);
}

TEST_CASE("a form body's payload field is the payload", "[http_endpoint]") {
    relay r(config());
    const header_list form{{"Content-Type", "application/x-www-form-urlencoded"}};
    auto reply = http_request(r.port(), "POST", "/emit",
                              "a=1&payload=%7B%22type%22%3A%22comment-x%22%2C%22text%22%3A%22a+b%26c%22%7D&z=2", form);
    CHECK(reply.status == 202);
    CHECK(id_of(reply).size() == 26);
    const std::string expected = R"({"type":"comment-x","text":"a b&c"})";
    CHECK(wait_lines(r, "all.jsonl", 1) == expected + "\n");
    CHECK(wait_lines(r, "comments.jsonl", 1) == expected + "\n");

    check_error(http_request(r.port(), "POST", "/emit", "a=1&b=2", form), 400, "form body has no payload field");
    check_error(http_request(r.port(), "POST", "/emit", "payload=%7B%zz", form), 400, "malformed form body");
    check_error(http_request(r.port(), "POST", "/emit", "payload=%7Bnot+json", form), 400, "invalid JSON");
    CHECK(post_json(r, "/emit", R"({"marker":1})").status == 202);
    CHECK(wait_lines(r, "all.jsonl", 2) == expected + "\n" + R"({"marker":1})" + "\n");
    stop_cleanly(r);
}

TEST_CASE("the type comes from the query or the path, and route filters match it", "[http_endpoint]") {
    relay r(config());
    CHECK(post_json(r, "/emit?type=comment-query", R"({"n":1})").status == 202);
    CHECK(post_json(r, "/emit/comment-path", R"({"n":2})").status == 202);
    // The URL overrides the type the marshaller lifted from the body, both ways.
    CHECK(post_json(r, "/emit/like", R"({"type":"comment-body","n":3})").status == 202);
    CHECK(post_json(r, "/emit?type=comment-over", R"({"type":"like","n":4})").status == 202);
    CHECK(post_json(r, "/emit/like?type=comment-both", R"({"n":5})").status == 202);
    CHECK(post_json(r, "/emit/comment-%41", R"({"n":6})").status == 202);  // the path is percent-decoded
    CHECK(post_json(r, "/emit", R"({"n":7})").status == 202);
    const std::string all = wait_lines(r, "all.jsonl", 7);
    CHECK(count_lines(all) == 7);
    CHECK(wait_lines(r, "comments.jsonl", 5) ==
          "{\"n\":1}\n{\"n\":2}\n{\"type\":\"like\",\"n\":4}\n{\"n\":5}\n{\"n\":6}\n");
    // Not under the path: not this endpoint's, so 404.
    CHECK(post_json(r, "/emitter", R"({"n":8})").status == 404);
    CHECK(post_json(r, "/emit", R"({"n":9})").status == 202);
    CHECK(count_lines(wait_lines(r, "all.jsonl", 8)) == 8);
    stop_cleanly(r);
}

TEST_CASE("bad JSON gets 400 with the marshaller's reason and reaches no output", "[http_endpoint]") {
    relay r(config());
    check_error(post_json(r, "/emit", R"({"type": "comment-x",)"), 400, "invalid JSON at offset");
    check_error(post_json(r, "/emit", ""), 400, "invalid JSON");
    check_error(post_json(r, "/emit", R"({"a":1} trailing)"), 400, "extra data");
    CHECK(post_json(r, "/emit", R"({"type":"comment-ok"})").status == 202);
    CHECK(wait_lines(r, "all.jsonl", 1) == "{\"type\":\"comment-ok\"}\n");
    CHECK(wait_lines(r, "comments.jsonl", 1) == "{\"type\":\"comment-ok\"}\n");
    auto metrics = http_get(r.port(), "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("araldo_messages_invalid_total{endpoint=\"emit\"} 3"));
    CHECK_THAT(metrics, Catch::Contains("araldo_http_requests_total{endpoint=\"emit\",status=\"400\"} 3"));
    CHECK_THAT(metrics, Catch::Contains("araldo_http_requests_total{endpoint=\"emit\",status=\"202\"} 1"));
    stop_cleanly(r);
}

TEST_CASE("auth: bearer tokens and basic credentials, 401 with WWW-Authenticate otherwise", "[http_endpoint]") {
    relay r(config());
    auto missing = post_json(r, "/secure", R"({"n":0})");
    check_error(missing, 401, "credentials required");
    std::vector<std::string> challenges;
    for (const auto& [name, value] : missing.headers)
        if (name == "www-authenticate") challenges.push_back(value);
    CHECK(challenges ==
          std::vector<std::string>{"Bearer realm=\"araldo\"", "Basic realm=\"araldo\", charset=\"UTF-8\""});

    check_error(post_json(r, "/secure", R"({"n":0})", {{"Authorization", "Bearer wrong"}}), 401,
                "invalid bearer token");
    check_error(post_json(r, "/secure", R"({"n":0})", {{"Authorization", "Bearer t0k3"}}), 401, "invalid bearer token");
    check_error(post_json(r, "/secure", R"({"n":0})", {{"Authorization", "Basic " + base64("sender:wrong")}}), 401,
                "invalid user or password");
    check_error(post_json(r, "/secure", R"({"n":0})", {{"Authorization", "Basic !!"}}), 401,
                "malformed basic credentials");
    check_error(post_json(r, "/secure", R"({"n":0})", {{"Authorization", "Digest x"}}), 401,
                "unsupported authorization scheme");
    // Authentication comes before the body is looked at.
    check_error(post_json(r, "/secure", "not json"), 401, "credentials required");

    CHECK(post_json(r, "/secure", R"({"n":1})", {{"Authorization", "Bearer t0k3n"}}).status == 202);
    CHECK(post_json(r, "/secure", R"({"n":2})", {{"Authorization", "bearer other-token"}}).status == 202);
    // What curl sends for http://sender:s3cret@host/secure.
    CHECK(post_json(r, "/secure", R"({"n":3})", {{"Authorization", "Basic " + base64("sender:s3cret")}}).status == 202);
    CHECK(wait_lines(r, "all.jsonl", 3) == "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
    // The open endpoint next to it still needs nothing.
    CHECK(post_json(r, "/emit", R"({"n":4})").status == 202);
    CHECK(wait_lines(r, "all.jsonl", 4) == "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n");
    stop_cleanly(r);
}

TEST_CASE("verify-signature: Standard Webhooks signatures, timestamps within 5 minutes", "[http_endpoint]") {
    relay r(config());
    const std::string body = R"({"type":"invoice.paid","amount":12})";
    auto signed_headers = [&](const std::string& id, const std::string& ts, const std::string& signature) {
        return header_list{{"webhook-id", id}, {"webhook-timestamp", ts}, {"webhook-signature", signature}};
    };
    const std::string ts = unix_now();

    check_error(post_json(r, "/hooks", body), 401, "missing webhook-id header");
    check_error(post_json(r, "/hooks", body, {{"webhook-id", "msg_1"}, {"webhook-timestamp", ts}}), 401,
                "missing webhook-signature header");
    check_error(post_json(r, "/hooks", body, signed_headers("msg_1", ts, sign("wrong key", "msg_1", ts, body))), 401,
                "invalid signature");
    // Signed for another body, id or timestamp.
    check_error(post_json(r, "/hooks", body, signed_headers("msg_1", ts, sign(secret_bytes, "msg_1", ts, body + " "))),
                401, "invalid signature");
    check_error(post_json(r, "/hooks", body, signed_headers("msg_2", ts, sign(secret_bytes, "msg_1", ts, body))), 401,
                "invalid signature");
    const std::string stale = unix_now(-6min);
    check_error(post_json(r, "/hooks", body, signed_headers("msg_1", stale, sign(secret_bytes, "msg_1", stale, body))),
                401, "webhook-timestamp too old");
    const std::string future = unix_now(6min);
    check_error(
        post_json(r, "/hooks", body, signed_headers("msg_1", future, sign(secret_bytes, "msg_1", future, body))), 401,
        "too far in the future");
    check_error(
        post_json(r, "/hooks", body, signed_headers("msg_1", "soon", sign(secret_bytes, "msg_1", "soon", body))), 401,
        "invalid webhook-timestamp");

    // Good: one valid signature among several (the sender rotates its secrets);
    // the webhook-id becomes the message id.
    const std::string id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    const std::string signatures = "v1,bm90IGl0 " + sign(secret_bytes, id, ts, body) + " v1a,ignored";
    auto ok = post_json(r, "/hooks", body, signed_headers(id, ts, signatures));
    CHECK(ok.status == 202);
    CHECK(ok.body == "{\"id\":\"" + id + "\",\"message\":\"ok\"}");
    CHECK(wait_lines(r, "all.jsonl", 1) == body + "\n");
    CHECK(r.process().wait_for_err("MOCK sink received " + id));
    // Within the tolerance on both sides.
    const std::string early = unix_now(-4min);
    CHECK(post_json(r, "/hooks", R"({"n":2})",
                    signed_headers("msg_early", early, sign(secret_bytes, "msg_early", early, R"({"n":2})")))
              .status == 202);
    CHECK(wait_lines(r, "all.jsonl", 2) == body + "\n" + R"({"n":2})" + "\n");
    stop_cleanly(r);
}

TEST_CASE("refusals the listener makes from the header (405, 413), 400 for an empty JSON body, 415 for a content type",
          "[http_endpoint]") {
    relay r(config());
    auto get = http_get(r.port(), "/emit");
    check_error(get, 405, "method GET not allowed");
    CHECK(get.header("allow") == "POST");

    // No Content-Length on a POST: an empty body (RFC 9112), which the marshaller judges.
    const std::string no_length = raw_exchange(
        r.port(), "POST /emit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
    CHECK_THAT(no_length, Catch::StartsWith("HTTP/1.1 400") && Catch::Contains("invalid JSON"));

    // Only the header is sent: the 413 comes back without the body ever being read.
    const std::string too_big = raw_exchange(
        r.port(), "POST /emit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1025\r\n\r\n");
    CHECK_THAT(too_big, Catch::StartsWith("HTTP/1.1 413") && Catch::Contains("larger than 1024 bytes"));
    // At the limit is fine.
    const std::string at_limit = "[\"" + std::string(1020, 'x') + "\"]";
    REQUIRE(at_limit.size() == 1024);
    CHECK(post_json(r, "/emit", at_limit).status == 202);
    // A chunked body has no length to check up front: it is cut off at the limit.
    const std::string chunked =
        "POST /emit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    const std::string big_chunk = "401\r\n[" + std::string(1023, ' ') + "\r\n0\r\n\r\n";
    CHECK_THAT(raw_exchange(r.port(), chunked + big_chunk), Catch::StartsWith("HTTP/1.1 413"));
    CHECK_THAT(raw_exchange(r.port(), chunked + "7\r\n{\"n\":3}\r\n0\r\n\r\n"), Catch::StartsWith("HTTP/1.1 202"));

    check_error(http_request(r.port(), "POST", "/emit", R"({"n":1})", {{"Content-Type", "text/plain"}}), 415,
                "unsupported Content-Type text/plain");
    check_error(http_request(r.port(), "POST", "/emit", R"({"n":1})"), 415, "Content-Type required");
    CHECK(wait_lines(r, "all.jsonl", 2) == at_limit + "\n" + R"({"n":3})" + "\n");
    auto metrics = http_get(r.port(), "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("araldo_http_requests_total{endpoint=\"emit\",status=\"415\"} 2"));
    stop_cleanly(r);
}

TEST_CASE("routes to endpoint-http drop with ingress_only, and bad options stop start-up", "[http_endpoint]") {
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, marshalling: json}
    - {name: back, id: endpoint-http, path: /back}
routes:
  emit: [back]
)");
    CHECK(post_json(r, "/emit", R"({"n":1})").status == 202);
    CHECK(r.process().wait_for_err("only receives: dropping (reason ingress_only)"));
    REQUIRE(wait_until(
        [&] { return http_get(r.port(), "/metrics").body.find("reason=\"ingress_only\"") != std::string::npos; }));

    struct bad_case {
        std::string endpoint;
        std::string expected;
    };
    const std::vector<bad_case> cases{
        {"{name: a, id: endpoint-http, path: emit}", "bad.yaml:4:42: path: must start with /"},
        {"{name: a, id: endpoint-http, path: /_admin}", "paths starting with /_ are the core's"},
        {"{name: a, id: endpoint-http, verify-signature: whsec_***}", "a secret must be whsec_ followed by base64"},
        {"{name: a, id: endpoint-http, auth: {}}", "auth: needs tokens, basic or client-certs"},
        {"{name: a, id: endpoint-http, auth: {client-certs: [client-a, \"\"]}}",
         "client-certs: a name cannot be empty"},
        {"{name: a, id: endpoint-http, auth: {basic: [nopassword]}}", "basic: expected user:password"},
        {"{name: a, id: endpoint-http, auth: {token: [x]}}", "did you mean 'tokens'?"},
    };
    for (const auto& c : cases) {
        INFO(c.endpoint);
        const std::string yaml =
            "plugins:\n  araldo.endpoints.endpoint:\n    - {name: z, id: endpoint-mock}\n    - " + c.endpoint + "\n";
        auto res = run_command({ARALDO_BINARY, "--check", "-c", r.dir().write("bad.yaml", yaml)}, r.dir().path());
        CHECK(res.code == 2);
        CHECK_THAT(res.err, Catch::Contains(c.expected));
    }
    auto twice = run_command({ARALDO_BINARY, "--check", "-c",
                              r.dir().write("twice.yaml",
                                            "plugins:\n  araldo.endpoints.endpoint:\n"
                                            "    - {name: a, id: endpoint-http}\n"
                                            "    - {name: b, id: endpoint-http}\n")},
                             r.dir().path());
    CHECK(twice.code == 2);
    CHECK_THAT(twice.err, Catch::Contains("cannot register on the listener"));

    // --check builds the endpoints without binding: the warning about an open
    // endpoint on a public address shows without exposing anything.
    const std::string exposed = "global:\n  bind: 0.0.0.0\nplugins:\n  araldo.endpoints.endpoint:\n    - ";
    auto open = run_command(
        {ARALDO_BINARY, "--check", "-c", r.dir().write("open.yaml", exposed + "{name: a, id: endpoint-http}\n")},
        r.dir().path());
    CHECK(open.code == 0);
    CHECK_THAT(open.err, Catch::Contains("/emit accepts messages from anyone who can reach 0.0.0.0"));
    auto guarded =
        run_command({ARALDO_BINARY, "--check", "-c",
                     r.dir().write("guarded.yaml", exposed + "{name: a, id: endpoint-http, auth: {tokens: x}}\n")},
                    r.dir().path());
    CHECK(guarded.code == 0);
    CHECK_THAT(guarded.err, !Catch::Contains("accepts messages from anyone"));
    stop_cleanly(r);
}
