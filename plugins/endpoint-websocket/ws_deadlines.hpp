// Every session's next deadline (the 101's, a ping's, a pong's, a token's
// expiry, the end of a close grace) in one binary min-heap, under one timer
// of the endpoint. A timer per session cost its Asio object (120 bytes) and,
// with pings on, a pending wait (about 100 bytes more) for each idle client;
// here a client costs a 16-byte entry while it has a deadline.
//
// Each item keeps its own position in the heap (`deadline_slot`), so moving
// or removing its deadline is O(log n) without a search: a session that ends
// leaves at once, and the heap never points at a session that is gone.
// No sockets and no clock reads: unit tests drive it with made-up times.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

// Item: has a public `std::uint32_t deadline_slot` that starts as `none`
// and that only the heap writes.
template <class Item>
class deadline_heap {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

    bool empty() const noexcept { return entries_.empty(); }
    std::size_t size() const noexcept { return entries_.size(); }
    bool contains(const Item& item) const noexcept { return item.deadline_slot != none; }
    // time_point::max() when the heap is empty.
    time_point earliest() const noexcept { return empty() ? time_point::max() : entries_.front().due; }
    // time_point::max() when the item has no deadline.
    time_point due(const Item& item) const noexcept {
        return contains(item) ? entries_[item.deadline_slot].due : time_point::max();
    }

    // Gives the item a deadline, or moves the one it has; time_point::max()
    // removes it. Throws only when the heap cannot grow (the item is then
    // left out).
    void set(Item& item, time_point due) {
        if (due == time_point::max()) return remove(item);
        if (contains(item)) {
            const std::size_t i = item.deadline_slot;
            const bool earlier = due < entries_[i].due;
            entries_[i].due = due;
            if (earlier) sift_up(i);
            else sift_down(i);
            return;
        }
        entries_.push_back({due, &item});
        item.deadline_slot = static_cast<std::uint32_t>(entries_.size() - 1);
        sift_up(entries_.size() - 1);
    }

    void remove(Item& item) noexcept {
        if (!contains(item)) return;
        const std::size_t i = std::exchange(item.deadline_slot, none);
        const entry last = entries_.back();
        entries_.pop_back();
        if (i == entries_.size()) return;  // it was the last entry
        place(i, last);
        if (i > 0 && last.due < entries_[parent(i)].due) sift_up(i);
        else sift_down(i);
    }

    // Takes out the item with the earliest deadline if that is at or before
    // `now`; null when none is due.
    Item* pop_due(time_point now) noexcept {
        if (empty() || entries_.front().due > now) return nullptr;
        Item* item = entries_.front().item;
        remove(*item);
        return item;
    }

private:
    struct entry {
        time_point due;
        Item* item;
    };

    static std::size_t parent(std::size_t i) noexcept { return (i - 1) / 2; }

    void place(std::size_t i, const entry& e) noexcept {
        entries_[i] = e;
        e.item->deadline_slot = static_cast<std::uint32_t>(i);
    }

    void sift_up(std::size_t i) noexcept {
        const entry e = entries_[i];
        while (i > 0 && e.due < entries_[parent(i)].due) {
            place(i, entries_[parent(i)]);
            i = parent(i);
        }
        place(i, e);
    }

    void sift_down(std::size_t i) noexcept {
        const entry e = entries_[i];
        const std::size_t n = entries_.size();
        for (;;) {
            std::size_t child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && entries_[child + 1].due < entries_[child].due) ++child;
            if (!(entries_[child].due < e.due)) break;
            place(i, entries_[child]);
            i = child;
        }
        place(i, e);
    }

    std::vector<entry> entries_;
};

}  // namespace araldo::plugins::endpoint_websocket
