#include "mock_options.hpp"

#include <string>

namespace araldo::plugins::endpoint_mock {

option_table mock_options() {
    using araldo::option_spec;
    using araldo::option_type;
    return {
        option_spec{"channel", option_type::string, std::nullopt, "set as attribute mock.channel on injected messages",
                    false},
        option_spec{"inject", option_type::string_list, "[]",
                    "payloads ingested through this endpoint when it starts, in order", false},
        option_spec{"inject-interval", option_type::duration, "0ms",
                    "delay between injected messages; 0ms: back to back", false},
        option_spec{.name = "record-limit",
                    .type = option_type::integer,
                    .default_value = "10000",
                    .description = "how many received messages are kept for inspection; the oldest are dropped first",
                    .min = "0"},
        option_spec{"problems", option_type::string_list, "[]",
                    "reported by health(), so tests can see /_health/?full fail", false},
        option_spec{"stop-delay", option_type::duration, "0ms",
                    "run() returns this long after stop(), to test slow drains and shutdown-timeout", false},
        option_spec{.name = "requests",
                    .type = option_type::string,
                    .default_value = "ignore",
                    .description = "what request messages get: ignore (dropped unanswered: no responder), hang (held "
                                   "unanswered until their deadline), fail (a 502 exception reply), echo (the body "
                                   "back with its content type; with ?describe, a JSON description of the request)",
                    .one_of = {"ignore", "hang", "fail", "echo"}},
        option_spec{"reply-delay", option_type::duration, "0ms",
                    "with requests fail or echo: each reply waits a random time up to this long, so replies come "
                    "out of order; 0ms: at once",
                    false},
    };
}

mock_settings read_mock_settings(const araldo::options& opts) {
    mock_settings s;
    if (opts.has("channel")) s.channel = opts.string("channel");
    s.inject = opts.string_list("inject");
    // Durations are never negative (the parser takes no sign); the table keeps record-limit at 0 or more.
    s.inject_interval = opts.duration("inject-interval");
    s.record_limit = static_cast<std::size_t>(opts.integer("record-limit"));
    s.problems = opts.string_list("problems");
    s.stop_delay = opts.duration("stop-delay");
    s.requests = opts.string("requests");
    s.reply_delay = opts.duration("reply-delay");
    return s;
}

}  // namespace araldo::plugins::endpoint_mock
