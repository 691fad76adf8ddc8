// Where one request-mode HTTP handler waits for its reply. Shared between
// the handler coroutine and the reply_path's handler, which may run inside a
// responder's answer() or in a destructor: fill() only stores the reply and
// wakes the waiter, nothing else. The waiter wakes at the deadline at the
// latest; a reply after that is late and only reported.
#pragma once

#include <araldo/request.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <optional>
#include <utility>

namespace araldo::plugins::endpoint_http {

namespace asio = boost::asio;

class reply_slot {
public:
    // `on_late` runs (on the core thread) for a reply that came after take().
    reply_slot(asio::any_io_executor ex, std::function<void()> on_late)
        : timer_(std::move(ex)), on_late_(std::move(on_late)) {}

    void fill(araldo::reply r) noexcept {
        if (taken_) {
            if (on_late_) on_late_();
            return;
        }
        reply_ = std::move(r);
        timer_.cancel();
    }

    bool filled() const noexcept { return reply_.has_value(); }

    // `co_await slot.wait_until(deadline)` returns when the reply is there or
    // at `deadline`, whichever is first; only for a slot not filled() yet.
    // It is the timer's own awaitable: waiting costs no coroutine frame.
    auto wait_until(asio::steady_timer::time_point deadline) {
        timer_.expires_at(deadline);
        return timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    }

    // The reply if it came in time; from now on replies are late.
    std::optional<araldo::reply> take() {
        taken_ = true;
        return std::exchange(reply_, std::nullopt);
    }

    // For the end of the waiter's scope, however it ends (a coroutine
    // destroyed at shutdown included): a reply after it never touches the
    // timer, whose io_context may be gone by then.
    void close() noexcept { taken_ = true; }

private:
    asio::steady_timer timer_;
    std::function<void()> on_late_;
    std::optional<araldo::reply> reply_;
    bool taken_ = false;
};

}  // namespace araldo::plugins::endpoint_http
