// The SDK's encodings: RFC 4648 vectors, strictness, percent-decoding.
#include <araldo/encoding.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace araldo;

TEST_CASE("base64 encodes and strictly decodes RFC 4648 text", "[sdk][encoding]") {
    const std::vector<std::pair<std::string, std::string>> vectors{{"", ""},
                                                                   {"f", "Zg=="},
                                                                   {"fo", "Zm8="},
                                                                   {"foo", "Zm9v"},
                                                                   {"foob", "Zm9vYg=="},
                                                                   {"fooba", "Zm9vYmE="},
                                                                   {"foobar", "Zm9vYmFy"},
                                                                   {std::string("\xff\xfe\x00", 3), "//4A"},
                                                                   {"abc", "YWJj"},
                                                                   {"a", "YQ=="},
                                                                   {"ab", "YWI="}};
    for (const auto& [raw, text] : vectors) {
        INFO(text);
        CHECK(base64_encode(raw) == text);
        CHECK(base64_decode(text) == raw);
    }
    for (const char* bad : {"Zg=", "Zg", "Z===", "Zm9v!", "Zg==Zg==", "=Zg=", "Zm 9v", "Zm9v\n", "Zm-_", "===="}) {
        INFO(bad);
        CHECK_FALSE(base64_decode(bad));
    }
}

TEST_CASE("base64url is unpadded and uses - and _", "[sdk][encoding]") {
    const std::vector<std::pair<std::string, std::string>> vectors{
        {"", ""},
        {"f", "Zg"},
        {"fo", "Zm8"},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"},
        {"\xfb\xff", "-_8"},
        {R"({"alg":"HS256","typ":"JWT"})", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"}};
    for (const auto& [raw, text] : vectors) {
        INFO(text);
        CHECK(base64url_encode(raw) == text);
        CHECK(base64url_decode(text) == raw);
    }
    CHECK(base64_encode("\xfb\xff") == "+/8=");
    for (const char* bad : {"Zg==", "+/8", "Zm9vY", "Zm 9v", "a"}) {
        INFO(bad);
        CHECK_FALSE(base64url_decode(bad));
    }
}

TEST_CASE("percent_decode: escapes, '+' on request, broken escapes refused", "[sdk][encoding]") {
    CHECK(percent_decode("a+b%20c%2B%3d", true) == "a b c+=");
    CHECK(percent_decode("a+b%20c%2B%3d", false) == "a+b c+=");
    CHECK(percent_decode("%7B%7d", false) == "{}");
    CHECK(percent_decode("/api/file-server/time", true) == "/api/file-server/time");
    CHECK(percent_decode("", true) == "");
    CHECK(percent_decode("%C3%A9", false) == "\xc3\xa9");
    // %00 is a byte like any other here; callers that cannot take NUL refuse it.
    CHECK(percent_decode("a%00b", false) == std::string("a\0b", 3));
    for (const char* bad : {"%", "%4", "%zz", "a%4g", "%%41", "abc%"}) {
        INFO(bad);
        CHECK_FALSE(percent_decode(bad, true));
        CHECK_FALSE(percent_decode(bad, false));
    }
}

TEST_CASE("constant_time_equal compares contents and lengths", "[sdk][encoding]") {
    CHECK(constant_time_equal("", ""));
    CHECK(constant_time_equal("s3cret", "s3cret"));
    CHECK_FALSE(constant_time_equal("s3cret", "s3creT"));
    CHECK_FALSE(constant_time_equal("s3cret", "s3cre"));
    CHECK_FALSE(constant_time_equal("", "x"));
    CHECK(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
    CHECK_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}
