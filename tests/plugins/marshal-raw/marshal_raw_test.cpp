// marshal-raw loaded as the core loads it: any bytes pass, unchanged.
#include "support/marshallers.hpp"

using namespace araldo;
using namespace araldo::test;

TEST_CASE("marshal-raw passes any bytes, text or binary", "[plugin][marshal]") {
    auto raw = make_marshaller("marshal-raw");
    std::string bytes("\x00\xff\x10not json", 11);
    auto msg = ingress(*raw, bytes, true);
    encoded out = raw->marshal(msg);
    CHECK(out.binary);
    CHECK(out.bytes == bytes);
}
