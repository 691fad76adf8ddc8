// The last messages of each folder, for clients that come back: every
// message delivered to a folder gets the next offset of that folder (1, 2,
// ...) and is kept, as the very frame the subscribers got, in the folder's
// ring (at most `size` messages, none older than `ttl`). A ring has an
// epoch, a random name made when the folder's ring is made: a client that
// resumes from an offset of another epoch (the relay restarted, or the
// folder was idle past ttl and forgotten) cannot be told what it missed.
//
// Offsets count within a folder; a sequence number across all folders
// (never sent to clients) orders the rings against each other, so that a
// subscription with children can also be given the messages of folders
// below it that it has never heard of: those that came after the latest
// point it knew. No I/O; unit-tested.
#pragma once

#include "ws_frame_queue.hpp"

#include <araldo/units.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

struct history_settings {
    std::size_t size = 0;  // messages kept per folder; 0: no history, no offsets
    araldo::duration ttl{std::chrono::minutes(5)};

    bool enabled() const noexcept { return size > 0; }
    bool operator==(const history_settings&) const = default;
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
        std::uint64_t seq;  // across all folders
        clock::time_point time;
        std::string type;  // for subscriptions to one message type
        frame_ptr frame;
    };
    // Where a client stood in one folder: the offset and epoch of the last
    // message it heard there (or that subscribed gave it).
    struct point {
        std::string_view folder;
        std::uint64_t offset;
        std::string_view epoch;
    };
    // What a client missed: recovered is false when the history no longer
    // holds all of it (another epoch, offsets it dropped).
    struct missed {
        bool recovered = false;
        std::vector<const item*> items;  // in delivery order; valid until the next change
    };

    explicit folder_history(history_settings s) : settings_{s} {}

    // The position the next message of `folder` gets; makes the folder's ring
    // when it has none.
    position next(std::string_view folder, clock::time_point now);
    // Keeps the frame of the message that got next()'s position.
    void record(std::string_view folder, std::string type, frame_ptr frame, clock::time_point now);
    // The folder's current position (offset 0: nothing yet), making the ring
    // when there is none: a new subscriber learns where it starts, so that
    // it can resume even before its first message.
    position start(std::string_view folder, clock::time_point now);
    std::optional<position> current(std::string_view folder) const;

    // What a subscription to `root` (with its children or not) missed since
    // `points`, one per folder the client knew (none outside the
    // subscription). With children, a folder below root without a point is
    // new to the client: its messages after the latest point count as
    // missed. `readable` leaves out folders the client may not read.
    missed resume(std::string_view root, bool children, const std::vector<point>& points, clock::time_point now,
                  const std::function<bool(std::string_view)>& readable);

    // Drops messages older than ttl and forgets folders with none left.
    void expire(clock::time_point now);

    std::size_t folders() const noexcept { return rings_.size(); }
    std::size_t messages() const noexcept { return messages_; }
    const history_settings& settings() const noexcept { return settings_; }

private:
    struct ring {
        std::string epoch{};
        std::uint64_t last_offset = 0;
        std::uint64_t born_seq = 0;     // the sequence when it was made
        std::uint64_t last_seq = 0;     // the sequence when its last message came (or it was made)
        std::uint64_t dropped_seq = 0;  // the sequence of the last message it dropped; 0: none
        clock::time_point last_used{};
        std::deque<item> items{};
    };
    using ring_map = std::map<std::string, ring, std::less<>>;
    void trim(ring& r, clock::time_point now);
    void drop_front(ring& r);
    // The sequence up to which a client at `offset` knew `r`; nullopt when
    // the ring cannot tell (the offset is not one it gave).
    static std::optional<std::uint64_t> known_until(const ring& r, std::uint64_t offset);

    history_settings settings_;
    // Ordered, so that the folders below one are a range.
    ring_map rings_;
    std::size_t messages_ = 0;
    std::uint64_t seq_ = 0;
};

}  // namespace araldo::plugins::endpoint_websocket
