// endpoint-mock's option table and the settings read from it.
#pragma once

#include <araldo/options.hpp>
#include <araldo/units.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace araldo::plugins::endpoint_mock {

struct mock_settings {
    std::optional<std::string> channel;  // set as attribute "mock.channel" on injected messages
    std::vector<std::string> inject;     // payloads ingested when run() starts, in order
    araldo::duration inject_interval{0};
    std::size_t record_limit = 10000;   // received messages kept; the oldest go first
    std::vector<std::string> problems;  // reported by health(), for testing /_health/?full
    araldo::duration stop_delay{0};     // run() returns this long after stop(): a slow drain
    std::string requests = "ignore";    // what request messages get (mock_requests.hpp)
    araldo::duration reply_delay{0};    // echo, fail: a random wait up to this long before the reply
};

option_table mock_options();
// Reads validated options; the table refuses a negative record-limit.
mock_settings read_mock_settings(const araldo::options& opts);

}  // namespace araldo::plugins::endpoint_mock
