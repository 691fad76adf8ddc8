// The bounded queue behind a single-writer endpoint's deliver(): messages are
// encoded once by the endpoint's marshaller on the way in, the writer parks
// while it is empty, and a full queue refuses with "queue_full" for the core
// to count. endpoint-file and endpoint-redis are built on it.
//
// Owned by the endpoint; everything on the core thread.
#pragma once

#include <araldo/endpoint.hpp>
#include <araldo/marshaller.hpp>
#include <araldo/wakeup.hpp>

#include <cstddef>
#include <deque>
#include <exception>

namespace araldo {

class outbound_queue {
public:
    outbound_queue(asio::any_io_executor ex, std::size_t capacity) : capacity_(capacity), wake_(std::move(ex)) {}

    // deliver()'s common path. Never throws: a marshaller that fails costs this message.
    delivery_result offer(const marshaller& m, const message_ptr& msg) {
        if (items_.size() >= capacity_) return delivery_result::dropped("queue_full");
        try {
            items_.push_back(m.marshal(msg));
        } catch (const std::exception&) {
            return delivery_result::dropped("marshal_error");
        }
        wake_.notify();
        return delivery_result::ok();
    }

    // The writer: `co_await q.wait();` while empty(); notify() also wakes it for stop().
    auto wait() { return wake_.wait(); }
    void notify() { wake_.notify(); }

    bool empty() const noexcept { return items_.empty(); }
    std::size_t size() const noexcept { return items_.size(); }
    encoded& front() noexcept { return items_.front(); }
    void pop_front() noexcept { items_.pop_front(); }
    void clear() noexcept { items_.clear(); }

private:
    std::deque<encoded> items_;
    std::size_t capacity_;
    wakeup wake_;
};

}  // namespace araldo
