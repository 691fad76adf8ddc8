// The last messages of each folder, for clients that come back: every
// message delivered to a folder gets the next offset of that folder (1, 2,
// ...) and is kept, as the very frame the subscribers got, in the folder's
// ring (at most `size` messages, none older than `ttl`). A ring has an
// epoch, a random name made when the folder's ring is made: a client that
// resumes from an offset of another epoch (the relay restarted, or the
// folder was idle past ttl and forgotten) cannot be told what it missed.
// No I/O; unit-tested.
#pragma once

#include "ws_string_map.hpp"

#include "ws_frame_queue.hpp"

#include <araldo/units.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

struct history_settings {
    std::size_t size = 0;  // messages kept per folder; 0: no history, no offsets
    araldo::duration ttl{std::chrono::minutes(5)};

    bool enabled() const noexcept { return size > 0; }
};

class folder_history {
public:
    using clock = std::chrono::steady_clock;

    struct position {
        std::uint64_t offset;
        std::string_view epoch;  // valid until the folder is forgotten
    };
    struct item {
        std::uint64_t offset;
        clock::time_point time;
        std::string type;  // for subscriptions to one message type
        frame_ptr frame;
    };
    // What a client missed since an offset: recovered is false when the ring
    // no longer holds all of it (another epoch, or offsets it dropped).
    struct missed {
        bool recovered = false;
        std::vector<const item*> items;  // oldest first; valid until the next change
    };

    explicit folder_history(history_settings s) : settings_{s} {}

    // The position the next message of `folder` gets; makes the folder's ring
    // when it has none.
    position next(std::string_view folder, clock::time_point now);
    // Keeps the frame of the message that got next()'s position.
    void record(std::string_view folder, std::string type, frame_ptr frame, clock::time_point now);
    // What came after `offset` of `epoch`.
    missed since(std::string_view folder, std::uint64_t offset, std::string_view epoch, clock::time_point now);
    // The folder's current position (offset 0: nothing yet), without making a ring.
    std::optional<position> current(std::string_view folder) const;
    // The same, making the ring when there is none: a new subscriber learns
    // where it starts, so that it can resume even before its first message.
    position start(std::string_view folder, clock::time_point now);
    // Drops messages older than ttl and forgets folders with none left.
    void expire(clock::time_point now);

    std::size_t folders() const noexcept { return rings_.size(); }
    std::size_t messages() const noexcept { return messages_; }
    const history_settings& settings() const noexcept { return settings_; }

private:
    struct ring {
        std::string epoch{};
        std::uint64_t last_offset = 0;
        clock::time_point last_used{};
        std::deque<item> items{};
    };
    void trim(ring& r, clock::time_point now);

    history_settings settings_;
    string_map<ring> rings_;
    std::size_t messages_ = 0;
};

}  // namespace araldo::plugins::endpoint_websocket
