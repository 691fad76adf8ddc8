// Folder mode's protocol (endpoint-websocket ws_folder_protocol.cpp) on
// frames a client sends: subscribe and unsubscribe requests, and the stamp a
// delivered message gets, which must leave valid JSON with each member once.
#include "fuzz_check.hpp"
#include "ws_folder_protocol.hpp"

#include <araldo/folder.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ws = araldo::plugins::endpoint_websocket;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in{reinterpret_cast<const char*>(data), size};
    const auto r = ws::parse_client_request(in);
    if (r.what == ws::client_request::kind::message) {
        FUZZ_CHECK(r.subscriptions.empty());
    } else if (r.error.empty()) {
        FUZZ_CHECK(!r.subscriptions.empty());
        for (const auto& s : r.subscriptions) {
            // What is accepted is a valid folder, and so is every point to resume from.
            if (!s.error.empty()) continue;
            FUZZ_CHECK(araldo::valid_folder(s.sub.folder));
            for (const auto& p : s.since) FUZZ_CHECK(araldo::valid_folder(p.folder));
        }
    }

    const auto stamped = ws::stamp_message(in, {.folder = "/f", .offset = 42, .epoch = "E"});
    boost::system::error_code ec;
    const auto original = boost::json::parse(in, ec);
    FUZZ_CHECK(stamped.has_value() == (!ec && original.is_object()));
    if (stamped) {
        const auto v = boost::json::parse(*stamped, ec);
        FUZZ_CHECK(!ec && v.is_object());
        const auto& o = v.as_object();
        FUZZ_CHECK(o.at("folder") == "/f" && o.at("offset") == 42 && o.at("epoch") == "E");
    }
    return 0;
}
