// endpoint-mqtt's URL parser without a config: what the `url` option accepts,
// and that logs and health never show credentials.
#include "mqtt_url.hpp"

#include <catch2/catch.hpp>

using araldo::plugins::endpoint_mqtt::parse_mqtt_url;

TEST_CASE("mqtt:// and mqtts:// URLs with their default ports", "[mqtt][config]") {
    auto plain = parse_mqtt_url("mqtt://broker.internal");
    REQUIRE(plain);
    CHECK_FALSE(plain.value().tls);
    CHECK(plain.value().host == "broker.internal");
    CHECK(plain.value().port == 1883);
    auto tls = parse_mqtt_url("mqtts://broker.internal");
    REQUIRE(tls);
    CHECK(tls.value().tls);
    CHECK(tls.value().port == 8883);
    auto v6 = parse_mqtt_url("mqtt://[::1]:1884/");
    REQUIRE(v6);
    CHECK(v6.value().host == "::1");
    CHECK(v6.value().port == 1884);
    CHECK(v6.value().display() == "mqtt://[::1]:1884");
}

TEST_CASE("credentials are percent-decoded and never displayed", "[mqtt][config]") {
    auto a = parse_mqtt_url("mqtt://pi%2D7:p%40ss%3Aword@127.0.0.1:1883");
    REQUIRE(a);
    CHECK(a.value().user == "pi-7");
    CHECK(a.value().password == "p@ss:word");
    CHECK(a.value().display() == "mqtt://127.0.0.1:1883");
    auto user_only = parse_mqtt_url("mqtt://device@127.0.0.1");
    REQUIRE(user_only);
    CHECK(user_only.value().user == "device");
    CHECK(user_only.value().password.empty());
}

TEST_CASE("URLs MQTT cannot use are refused with a reason", "[mqtt][config]") {
    for (const char* url : {"http://127.0.0.1:1883", "mqtt://127.0.0.1:0", "mqtt://127.0.0.1:65536", "mqtt://:pw@host",
                            "mqtt://host/topic", "mqtt://host?x=1", "mqtt://", "not a url"}) {
        INFO(url);
        auto r = parse_mqtt_url(url);
        CHECK_FALSE(r);
        CHECK_FALSE(r.reason().empty());
    }
}
