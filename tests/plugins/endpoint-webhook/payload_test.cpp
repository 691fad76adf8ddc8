// Whatever the emit API answered 202 for reaches the receiver byte for byte,
// also after a restart that had to read it back from the saved queue or the
// spool: bytes that are not UTF-8, escaped lone surrogates, NUL, 1 MiB.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace araldo::test;
using namespace araldo::test::webhook;
using namespace std::chrono_literals;

namespace {

struct sample {
    std::string name;
    std::string body;
    std::string content_type = "application/json";
    std::string delivered{};  // what the receiver must get; empty: body
};

std::string form_escape(const std::string& bytes) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out = "payload=";
    for (unsigned char c : bytes) {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
    return out;
}

std::vector<sample> samples() {
    std::string mib(1024 * 1024, 'a');
    for (std::size_t i = 0; i < mib.size(); i += 97) mib[i] = static_cast<char>(i % 251);  // NULs, controls, high bytes
    std::string not_utf8 = std::string("{\"x\":\"\xC0\x80\xED\xA0\x80\xF4\x90\x80\x80\xFF\"}");
    // Bytes that pass a loose UTF-8 check (lead byte, then continuation
    // bytes) but not RFC 3629: overlong, a surrogate, above U+10FFFF.
    std::string loose = "{\"x\":\"\xC0\x80\xED\xA0\x80\xF4\x90\x80\x80\"}";
    return {
        {"overlong, surrogate and too-high sequences", loose},
        {"not UTF-8 as the body", not_utf8},
        {"not UTF-8 through a form field", form_escape(not_utf8), "application/x-www-form-urlencoded", not_utf8},
        {"escaped lone surrogates", R"({"s":"\ud800","t":"\udfff\ud800"})"},
        {"NUL bytes", std::string("{\"n\":\"a\0b\"}\0\0", 14)},
        {"1 MiB of every byte", mib},
        {"1 MiB of text", std::string(1024 * 1024 - 2, 'x')},
    };
}

// Sends every sample while the receiver does not answer (the first request
// hangs, the others wait behind it; with spool the receiver is down), stops
// the relay (SIGTERM, or kill -9 with spool), restarts it towards a live
// receiver.
void round_trip_through_restart(const std::string& hook_opts, int stop_signal) {
    temp_dir data;
    std::map<std::string, std::string> want;  // id -> bytes
    receiver hanging;
    hanging.respond([](const received_request&, std::size_t) { return reply{200, {}, true}; });
    {
        std::string url = stop_signal == SIGKILL ? down_url() : hanging.url();
        relay r(emit_config(hook_opts + ", retry-schedule: [0s, 1h], url: \"" + url + "\"", data.path()));
        for (const auto& s : samples()) {
            INFO(s.name);
            auto e = emit(r.port(), s.body, s.content_type);
            REQUIRE(e.status == 202);
            want[e.id] = s.delivered.empty() ? s.body : s.delivered;
        }
        r.process().signal(stop_signal);
        r.process().wait(10s);
    }
    receiver rx;
    relay r(emit_config(hook_opts + ", url: \"" + rx.url() + "\"", data.path()));
    REQUIRE(rx.wait_for(want.size(), 20s));
    auto got = bodies_by_id(rx);
    for (const auto& [id, bytes] : want) {
        INFO("id " << id << ", " << bytes.size() << " bytes");
        REQUIRE(got.count(id) == 1);
        CHECK(got[id].size() == bytes.size());
        CHECK(got[id] == bytes);
    }
    CHECK_THAT(http_get(r.port(), "/metrics").body,
               Catch::Contains(R"(araldo_webhook_quarantined_total{endpoint="hook"} 0)"));
}

}  // namespace

TEST_CASE("payloads survive a graceful restart byte for byte", "[webhook][store]") {
    round_trip_through_restart("max-in-flight: 1", SIGTERM);
}

TEST_CASE("payloads survive kill -9 with spool byte for byte", "[webhook][store]") {
    round_trip_through_restart("max-in-flight: 1, spool: true", SIGKILL);
}
