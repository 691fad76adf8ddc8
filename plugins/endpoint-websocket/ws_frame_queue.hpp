// A FIFO of shared frames that costs nothing while empty (std::deque allocates
// on construction): a vector consumed from a moving head. Idle connections are
// the common case, so their queues must not hold memory.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

using frame_ptr = std::shared_ptr<const std::string>;

inline frame_ptr make_frame(std::string bytes) { return std::make_shared<const std::string>(std::move(bytes)); }

class frame_queue {
public:
    bool empty() const noexcept { return head_ == items_.size(); }
    std::size_t size() const noexcept { return items_.size() - head_; }
    const frame_ptr& front() const noexcept { return items_[head_]; }
    const frame_ptr& operator[](std::size_t i) const noexcept { return items_[head_ + i]; }

    void push_back(const frame_ptr& f) {
        // Reclaim the consumed prefix before the vector would grow.
        if (head_ > 0 && items_.size() == items_.capacity()) compact();
        items_.push_back(f);
    }

    // Removes the front frame and returns it.
    frame_ptr pop_front() noexcept {
        frame_ptr f = std::move(items_[head_++]);
        if (empty()) clear();
        return f;
    }

    // Removes the frame `i` places behind the front and returns it.
    frame_ptr erase(std::size_t i) {
        if (i == 0) return pop_front();
        const auto at = items_.begin() + static_cast<std::ptrdiff_t>(head_ + i);
        frame_ptr f = std::move(*at);
        items_.erase(at);
        return f;
    }

    // Keeps the first `n` frames and removes the rest.
    void truncate(std::size_t n) noexcept {
        if (n == 0) return clear();
        items_.resize(head_ + n);
    }

    void clear() noexcept {
        items_.clear();
        head_ = 0;
        // A backlog that has drained gives its memory back.
        if (items_.capacity() > 64) std::vector<frame_ptr>{}.swap(items_);
    }

    auto begin() const noexcept { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
    auto end() const noexcept { return items_.end(); }

private:
    void compact() {
        items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }

    std::vector<frame_ptr> items_;
    std::size_t head_ = 0;
};

}  // namespace araldo::plugins::endpoint_websocket
