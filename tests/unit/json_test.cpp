// araldo::append_json_string / json_quote: the tree's one JSON string writer.
// Every output is also parsed back with Boost.JSON, so "valid JSON" is checked
// by a parser that did not write it.
#include <araldo/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using araldo::json_quote;

namespace {

// What a JSON parser reads back from json_quote(s).
std::string parsed(const std::string& quoted) {
    boost::system::error_code ec;
    auto v = boost::json::parse(quoted, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_string());
    return std::string(v.as_string());
}

}  // namespace

TEST_CASE("json_quote: empty, plain text, quotes and backslashes", "[sdk][json]") {
    CHECK(json_quote("") == R"("")");
    CHECK(json_quote("hello") == R"("hello")");
    CHECK(json_quote(R"(a"b\c/d)") == R"("a\"b\\c/d")");
    CHECK(parsed(json_quote(R"(a"b\c)")) == R"(a"b\c)");
}

TEST_CASE("json_quote: every control character is escaped, short forms where JSON has them", "[sdk][json]") {
    CHECK(json_quote("\b\f\n\r\t") == R"("\b\f\n\r\t")");
    CHECK(json_quote(std::string("\0", 1)) == R"("\u0000")");
    CHECK(json_quote("\x01\x1f") == R"("\u0001\u001f")");
    CHECK(json_quote("\x7f") == "\"\x7f\"");  // DEL is not a control character to JSON
    for (int c = 0; c < 0x20; ++c) {
        const std::string one(1, static_cast<char>(c));
        INFO(c);
        const std::string q = json_quote(one);
        for (char k : q) CHECK(static_cast<unsigned char>(k) >= 0x20);
        CHECK(parsed(q) == one);
    }
}

TEST_CASE("json_quote: valid UTF-8 stays as it is, U+2028 and U+2029 included", "[sdk][json]") {
    const std::vector<std::string> texts{"caf\xc3\xa9",
                                         "\xe2\x80\xa8",
                                         "\xe2\x80\xa9",
                                         "\xf0\x9f\x98\x80",
                                         "\xef\xbf\xbd",
                                         "\xf4\x8f\xbf\xbf",
                                         "a\xe2\x80\xa8"
                                         "b"};
    for (const auto& t : texts) {
        INFO(t);
        CHECK(json_quote(t) == "\"" + t + "\"");
        CHECK(parsed(json_quote(t)) == t);
    }
}

TEST_CASE("json_quote: each byte that starts no valid UTF-8 sequence becomes \\ufffd", "[sdk][json]") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"\xff", R"("\ufffd")"},
        {"a\xfe"
         "b",
         R"("a\ufffdb")"},
        {"\xc0\x80", R"("\ufffd\ufffd")"},                      // overlong NUL
        {"\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")"},            // a surrogate
        {"\xf4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},  // above U+10FFFF
        {"\xe2\x82", R"("\ufffd\ufffd")"},                      // cut short at the end
        {"\xe2\x82"
         "a",
         R"("\ufffd\ufffda")"},   // cut short before ASCII
        {"\x80", R"("\ufffd")"},  // a lone continuation byte
        {"\xc3\xa9\xff\xc3\xa9", "\"\xc3\xa9\\ufffd\xc3\xa9\""},
    };
    for (const auto& [in, out] : cases) {
        INFO(out);
        CHECK(json_quote(in) == out);
        parsed(json_quote(in));
    }
}

TEST_CASE("append_json_string appends to what is there", "[sdk][json]") {
    std::string out = R"({"error":)";
    araldo::append_json_string(out, "bad \"x\"\n");
    out += '}';
    CHECK(out == R"({"error":"bad \"x\"\n"})");
    // Long runs between escapes are copied whole and come out right.
    const std::string big = std::string(10000, 'a') + "\"" + std::string(10000, 'b') + "\xff";
    CHECK(json_quote(big) == "\"" + std::string(10000, 'a') + "\\\"" + std::string(10000, 'b') + "\\ufffd\"");
}

TEST_CASE("json_quote: every byte value, alone and amid text, gives valid JSON", "[sdk][json]") {
    std::string all;
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
    const std::string back = parsed(json_quote(all));
    CHECK(back.substr(0, 0x80) == all.substr(0, 0x80));
}
