// RESP2, sans-I/O: bytes in, replies out; commands in, bytes out. hiredis's
// reader does the parsing, behind resp_scanner's bounds; no socket is
// involved, so every split of the input can be tested without a server.
#pragma once

#include "resp_scanner.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct redisReader;

namespace araldo::plugins::endpoint_redis {

enum class resp_type { string, status, error, integer, nil, array };

struct resp_value {
    resp_type type = resp_type::nil;
    std::string str;  // string, status and error replies
    std::int64_t integer = 0;
    std::vector<resp_value> elements;  // arrays (push messages are arrays in RESP2)

    bool is_error() const noexcept { return type == resp_type::error; }
    bool is_array() const noexcept { return type == resp_type::array; }
    // A bulk or status string equal to `s`.
    bool is_text(std::string_view s) const noexcept {
        return (type == resp_type::string || type == resp_type::status) && str == s;
    }
};

// Malformed input: the connection cannot be trusted any more.
class resp_protocol_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class resp_reader {
public:
    explicit resp_reader(resp_limits limits = {});
    ~resp_reader();
    resp_reader(const resp_reader&) = delete;
    resp_reader& operator=(const resp_reader&) = delete;

    // Appends bytes read from the connection (copied). Only what the scanner
    // accepts reaches hiredis; after a violation nothing more does.
    void feed(std::string_view bytes);
    // The next complete reply, or nullopt when more bytes are needed.
    // Throws resp_protocol_error on malformed input, and on input outside the
    // limits once the replies complete before it have been returned (a read
    // holding good replies and then a bad header loses none of the good ones).
    std::optional<resp_value> next();

private:
    resp_scanner scanner_;
    redisReader* reader_;
};

// A command as a RESP array of bulk strings.
std::string encode_command(const std::vector<std::string_view>& args);
void append_command(std::string& out, const std::vector<std::string_view>& args);

// PUBLISH channel payload, appended to `out` without building an argument vector.
void append_publish(std::string& out, std::string_view channel, std::string_view payload);

}  // namespace araldo::plugins::endpoint_redis
