// stdin lines -> endpoint-file (marshal-json) -> routes -> endpoint-file outputs,
// through the real binary, checked line for line.
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <sstream>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

const char* pipeline = R"(global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: stdin, id: endpoint-file, input: "-", marshalling: json}
    - {name: all, id: endpoint-file, output: "{DIR}/all.jsonl", marshalling: json}
    - {name: comments, id: endpoint-file, output: "{DIR}/comments.jsonl", marshalling: json}
routes:
  stdin:
    - all
    - { to: comments, type: "comment-*" }
)";

std::size_t count_lines(const std::string& text) {
    std::size_t n = 0;
    for (char c : text) n += c == '\n';
    return n;
}

}  // namespace

TEST_CASE("stdin lines pass through marshal-json to file outputs, line for line", "[integration][file]") {
    relay r(pipeline, {.pipe_stdin = true});
    std::string expected_all, expected_comments, input;
    for (int i = 0; i < 1000; ++i) {
        std::string type = i % 3 == 0 ? "comment-added" : "like";
        std::string line = R"({"type":")" + type + R"(","parameters":{"n":)" + std::to_string(i) + "}}";
        input += line + "\n";
        expected_all += line + "\n";
        if (i % 3 == 0) expected_comments += line + "\n";
        if (i % 100 == 7) input += "{not json\n";  // rejected, counted, never routed
    }
    r.process().write_stdin(input);
    r.process().close_stdin();

    REQUIRE(wait_until([&] { return count_lines(read_file(r.path("all.jsonl"))) >= 1000; }));
    REQUIRE(wait_until([&] { return count_lines(read_file(r.path("comments.jsonl"))) >= 334; }));
    CHECK(read_file(r.path("all.jsonl")) == expected_all);
    CHECK(read_file(r.path("comments.jsonl")) == expected_comments);
    CHECK(r.process().wait_for_err("input closed after 1010 lines"));

    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
    CHECK_THAT(r.process().err(), Catch::Contains("rejected by marshal-json"));
}

TEST_CASE("an input file is read to its end and raw payloads are written as they came", "[integration][file]") {
    temp_dir in;
    std::string lines;
    for (int i = 0; i < 5000; ++i) lines += "line " + std::to_string(i) + " \xE2\x9C\x93\r\n";
    std::string input = in.write("in.txt", lines);
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: src, id: endpoint-file, input: ")" + input + R"("}
    - {name: dst, id: endpoint-file, output: "{DIR}/out.txt"}
routes:
  src: [dst]
)");
    std::string expected;
    for (int i = 0; i < 5000; ++i) expected += "line " + std::to_string(i) + " \xE2\x9C\x93\n";
    REQUIRE(wait_until([&] { return read_file(r.path("out.txt")).size() >= expected.size(); }));
    CHECK(read_file(r.path("out.txt")) == expected);
    r.process().signal(SIGINT);
    CHECK(r.process().wait(10s) == 0);
}
