#include "file_lines.hpp"

namespace araldo::plugins::endpoint_file {

std::optional<line_event> line_splitter::next() {
    if (release_partial_) {
        partial_.clear();
        release_partial_ = false;
    }
    if (chunk_.empty()) return std::nullopt;
    std::size_t nl = chunk_.find('\n');
    if (nl == std::string_view::npos) {
        keep(chunk_);
        chunk_ = {};
        return std::nullopt;
    }
    std::string_view tail = chunk_.substr(0, nl);
    chunk_.remove_prefix(nl + 1);
    return complete(tail);
}

std::optional<line_event> line_splitter::finish() {
    if (release_partial_) {
        partial_.clear();
        release_partial_ = false;
    }
    if (!chunk_.empty()) {  // the caller stopped draining: the rest is the last line
        keep(chunk_);
        chunk_ = {};
    }
    if (!skipping_ && partial_.empty()) return std::nullopt;
    return complete({});
}

// Ends the current line with `tail`, its last bytes before the '\n'.
line_event line_splitter::complete(std::string_view tail) {
    ++number_;
    if (skipping_) {
        std::uint64_t length = skipped_ + tail.size();
        skipping_ = false;
        skipped_ = 0;
        return {{}, number_, length, true};
    }
    if (partial_.empty()) {
        // The common case: the whole line is in this chunk, handed out without a copy.
        if (tail.size() > max_line_) return {{}, number_, tail.size(), true};
        return {tail, number_, tail.size(), false};
    }
    std::uint64_t length = partial_.size() + tail.size();
    if (length > max_line_) {
        partial_.clear();
        return {{}, number_, length, true};
    }
    partial_.append(tail);
    release_partial_ = true;
    return {partial_, number_, length, false};
}

// Keeps the start of a line that continues in the next chunk, up to max_line.
void line_splitter::keep(std::string_view rest) {
    if (skipping_) {
        skipped_ += rest.size();
        return;
    }
    if (partial_.size() + rest.size() > max_line_) {
        skipping_ = true;
        skipped_ = partial_.size() + rest.size();
        partial_.clear();
        return;
    }
    partial_.append(rest);
}

}  // namespace araldo::plugins::endpoint_file
