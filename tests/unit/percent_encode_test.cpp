// araldo::percent_encode: which bytes each set keeps, and that
// percent_decode undoes it.
#include <araldo/encoding.hpp>

#include <catch2/catch.hpp>

#include <string>

using araldo::percent_decode;
using araldo::percent_encode;
using araldo::percent_keep;

TEST_CASE("percent_encode: unreserved keeps RFC 3986's unreserved set, encodes the reserved one", "[sdk][encoding]") {
    CHECK(percent_encode("", percent_keep::unreserved).empty());
    CHECK(percent_encode("AZaz09-._~", percent_keep::unreserved) == "AZaz09-._~");
    CHECK(percent_encode(":/?#[]@!$&'()*+,;=", percent_keep::unreserved) ==
          "%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D");
    CHECK(percent_encode("a b%c", percent_keep::unreserved) == "a%20b%25c");
    CHECK(percent_encode("a b+c", percent_keep::unreserved, true) == "a+b%2Bc");
    CHECK(percent_encode(std::string("\0\n\xff\xc3\xa9", 5), percent_keep::unreserved) == "%00%0A%FF%C3%A9");
}

TEST_CASE("percent_encode: alnum_dash_underscore never leaves a dot", "[sdk][encoding]") {
    CHECK(percent_encode("01J-abc_Z", percent_keep::alnum_dash_underscore) == "01J-abc_Z");
    CHECK(percent_encode(".", percent_keep::alnum_dash_underscore) == "%2E");
    CHECK(percent_encode("..", percent_keep::alnum_dash_underscore) == "%2E%2E");
    CHECK(percent_encode("a~b/c", percent_keep::alnum_dash_underscore) == "a%7Eb%2Fc");
}

TEST_CASE("percent_encode: visible_ascii encodes only spaces, controls and non-ASCII", "[sdk][encoding]") {
    CHECK(percent_encode("/caf\xc3\xa9/%FF?x=1", percent_keep::visible_ascii) == "/caf%C3%A9/%FF?x=1");
    CHECK(percent_encode("a b\x7f\t", percent_keep::visible_ascii) == "a%20b%7F%09");
}

TEST_CASE("percent_decode undoes percent_encode for every byte", "[sdk][encoding]") {
    std::string all;
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
    for (auto keep : {percent_keep::unreserved, percent_keep::alnum_dash_underscore}) {
        for (bool plus : {false, true}) {
            INFO(static_cast<int>(keep) << " " << plus);
            CHECK(percent_decode(percent_encode(all, keep, plus), plus) == all);
        }
    }
}
