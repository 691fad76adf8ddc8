// Splitting a byte stream into lines, sans-I/O: feed chunks as they are read,
// take complete lines out. A line longer than the limit is reported by its
// length and never held whole, so hostile input cannot grow memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace araldo::plugins::endpoint_file {

struct line_event {
    std::string_view text;     // without the '\n'; empty when too_long. Valid until
                               // the next call to next(), feed() or finish().
    std::uint64_t number = 0;  // 1-based, counting every line (empty and long ones too)
    std::uint64_t length = 0;  // bytes before the '\n'
    bool too_long = false;     // longer than max_line: text is not kept
};

class line_splitter {
public:
    explicit line_splitter(std::size_t max_line) : max_line_(max_line) {}

    // Hands over the next chunk of input. It must stay valid until next()
    // returns nullopt, and must only be given once the previous one is drained.
    void feed(std::string_view chunk) { chunk_ = chunk; }

    // The next complete line of the current chunk, or nullopt when the chunk is
    // drained (a trailing incomplete line is kept for the next chunk).
    std::optional<line_event> next();

    // At end of input: the last line when it has no '\n', else nullopt.
    std::optional<line_event> finish();

    // Lines completed so far.
    std::uint64_t lines() const noexcept { return number_; }

private:
    line_event complete(std::string_view tail);
    void keep(std::string_view rest);

    std::size_t max_line_;
    std::string_view chunk_;
    std::string partial_;           // the start of a line that spans chunks
    bool release_partial_ = false;  // partial_ was handed out: clear it on the next call
    bool skipping_ = false;         // the current line exceeds max_line: discard to its end
    std::uint64_t skipped_ = 0;     // bytes of that line seen so far
    std::uint64_t number_ = 0;
};

}  // namespace araldo::plugins::endpoint_file
