// A signal one coroutine parks on and others raise: a writer waiting for its
// queue to fill, or run() waiting for stop(). Waiting costs no coroutine frame
// of its own (wait() returns the timer's awaitable), which matters on the
// per-message path where a writer parks and wakes for every burst.
//
// One waiter at a time; everything on the core thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace araldo {

namespace asio = boost::asio;

class wakeup {
public:
    explicit wakeup(asio::any_io_executor ex) : timer_(std::move(ex)) {}

    // `co_await w.wait();` suspends until notify() (or the executor shuts down).
    auto wait() {
        waiting_ = true;
        timer_.expires_at(asio::steady_timer::time_point::max());
        return timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    }

    // Wakes the waiter if there is one; a no-op otherwise, so callers may raise
    // it for every message and pay one wake-up per burst.
    void notify() {
        if (!waiting_) return;
        waiting_ = false;
        timer_.cancel();
    }

    bool waiting() const noexcept { return waiting_; }

private:
    asio::steady_timer timer_;
    bool waiting_ = false;
};

}  // namespace araldo
