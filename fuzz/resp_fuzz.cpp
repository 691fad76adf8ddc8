// endpoint-redis's reading side (resp_scanner.cpp, resp.cpp and
// subscriber_fsm.cpp): bytes from a Redis server, or from whatever answers on
// its port, through the scanner's bounds and the RESP reader into the
// connection setup and the subscriber state machine.
//
// Properties: the replies and the scanner's verdict do not depend on how the
// bytes were cut; no reply that reaches the endpoint is outside the limits
// (the scanner's promise); a message event carries exactly what the push held.
#include "fuzz_check.hpp"
#include "resp.hpp"
#include "resp_scanner.hpp"
#include "subscriber_fsm.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rd = araldo::plugins::endpoint_redis;

namespace {

// Small limits, so that each one is reachable from a few bytes of input.
constexpr rd::resp_limits limits{64, 4, 1, 32};

void check_limits(const rd::resp_value& v, std::size_t depth) {
    FUZZ_CHECK(v.str.size() <= (v.type == rd::resp_type::string ? limits.max_bulk : limits.max_line));
    if (v.is_array()) {
        FUZZ_CHECK(v.elements.size() <= limits.max_elements);
        FUZZ_CHECK(depth < limits.max_depth);
    }
    for (const auto& e : v.elements) check_limits(e, depth + 1);
}

void describe(const rd::resp_value& v, std::string& out) {
    out += std::to_string(static_cast<int>(v.type)) + "[" + v.str + "|" + std::to_string(v.integer);
    for (const auto& e : v.elements) describe(e, out);
    out += "]";
}

// Reads every reply, cutting the input every `step` bytes (0: at once), and
// drives a connection the way subscriber_link does: setup replies first,
// then subscription replies.
std::string run(std::string_view bytes, std::size_t step) {
    rd::redis_address address;
    address.password = "pw";
    address.db = 2;
    rd::connection_setup setup{address};
    rd::subscriber_fsm fsm{{"chat", "news"}, {"room.*"}};
    FUZZ_CHECK(!fsm.start().empty());
    rd::resp_reader reader{limits};
    std::string log;
    try {
        for (std::size_t pos = 0; pos < bytes.size();) {
            const std::size_t n = step == 0 ? bytes.size() : step;
            reader.feed(bytes.substr(pos, n));
            pos += n;
            while (auto reply = reader.next()) {
                check_limits(*reply, 0);
                describe(*reply, log);
                if (!setup.done()) {
                    if (auto step = setup.on_reply(*reply); !step) {
                        FUZZ_CHECK(!step.reason().empty());
                        return log + "setup failed";
                    }
                    continue;
                }
                const rd::resp_value copy = *reply;
                const auto ev = fsm.on_reply(std::move(*reply));
                log += std::to_string(static_cast<int>(ev.what)) + ev.channel + "/" + ev.pattern + "/" + ev.payload;
                if (ev.what == rd::subscriber_event::kind::message) {
                    FUZZ_CHECK(copy.is_array() && (copy.elements.size() == 3 || copy.elements.size() == 4));
                    FUZZ_CHECK(ev.payload == copy.elements.back().str);
                }
                if (ev.what == rd::subscriber_event::kind::subscribed) FUZZ_CHECK(fsm.subscribed());
                if (ev.what == rd::subscriber_event::kind::failed) return log + "failed";
            }
        }
    } catch (const rd::resp_protocol_error& e) {
        log += "protocol error";
    }
    return log;
}

// The scanner alone: how many bytes it lets through, fed in pieces.
std::string scan(std::string_view bytes, std::size_t step) {
    rd::resp_scanner scanner{limits};
    std::uint64_t accepted = 0;
    for (std::size_t pos = 0; pos < bytes.size() && !scanner.failed(); pos += step) {
        const auto piece = bytes.substr(pos, step);
        const auto n = scanner.feed(piece);
        FUZZ_CHECK(n <= piece.size());
        if (n < piece.size()) FUZZ_CHECK(scanner.failed());
        accepted += n;
    }
    if (scanner.failed()) FUZZ_CHECK(!scanner.violation().empty());
    return std::to_string(accepted) + "/" + std::to_string(scanner.replies()) + "/" + scanner.violation();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view bytes{reinterpret_cast<const char*>(data + 1), size - 1};
    const std::size_t step = 1 + data[0] % 32;
    FUZZ_CHECK(scan(bytes, bytes.size() + 1) == scan(bytes, step));
    const std::string whole = run(bytes, 0);
    FUZZ_CHECK(whole == run(bytes, step));
    return 0;
}
