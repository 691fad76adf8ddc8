#include <araldo/log_payload.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("a logged payload is cut, on one line, with secret fields masked", "[logs]") {
    using araldo::loggable_payload;
    CHECK(loggable_payload(R"({"type":"x","n":1})") == R"({"type":"x","n":1})");
    CHECK(loggable_payload(R"({"password": "hunter2", "Api-Key":"k", "tokens": ["a"], "user": "bo"})") ==
          R"({"password": "***", "Api-Key":"***", "tokens": ["a"], "user": "bo"})");
    CHECK(loggable_payload(R"({"secret":"a\"b","x":"secret"})") == R"({"secret":"***","x":"secret"})");
    CHECK(loggable_payload("a\nb\r\t\x01") == "a\\nb\\r\\t\\x01");
    CHECK(loggable_payload(std::string(10, 'a'), 4) == "aaaa... (6 more bytes)");
    // The mask is applied before the cut: a secret's value is never half shown.
    CHECK(loggable_payload(R"({"token":"0123456789"})", 12) == R"({"token":"**... (3 more bytes))");
    CHECK(loggable_payload(R"({"token":"unterminated)") == R"({"token":"***)");
    CHECK(loggable_payload("") == "");
}
