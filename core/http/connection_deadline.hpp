// The time limit of one HTTP connection's current operation, kept with one
// timer that is re-armed only when the limit moves earlier than it is set
// for. A keep-alive connection moves its limit on every request (idle
// timeout, then the request's); re-arming a timer each time costs a timer
// queue insert, a cancel and a completion handler per move, on every
// request. Here moving the limit later only stores it: the timer, when it
// fires early, re-arms itself at the stored limit. An idle connection's
// timer fires about once per idle timeout.
//
// When the limit passes, the socket's pending operations are cancelled
// (they fail with operation_aborted and fired() is true), as
// beast::tcp_stream does. Private to core/http.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>

namespace araldo::detail {

class connection_deadline {
public:
    using clock = std::chrono::steady_clock;

    explicit connection_deadline(boost::asio::ip::tcp::socket& socket)
        : state_{std::make_shared<state>(socket.get_executor(), socket)} {}
    ~connection_deadline() { detach(); }
    connection_deadline(const connection_deadline&) = delete;
    connection_deadline& operator=(const connection_deadline&) = delete;

    void expires_after(clock::duration d) { expires_at(clock::now() + d); }
    void expires_at(clock::time_point tp) {
        state_->limit = tp;
        state_->fired = false;
        if (!state_->armed || tp < state_->timer.expiry()) arm(state_, tp);
    }

    // The limit passed and pending operations were cancelled for it.
    bool fired() const noexcept { return state_->fired; }

    // The socket is going (to an upgrade route, or closed): a timer handler
    // still queued must not touch it, and the timer must not keep the loop.
    void detach() noexcept {
        if (state_->socket == nullptr) return;
        state_->socket = nullptr;
        state_->timer.cancel();
    }

private:
    struct state {
        state(boost::asio::any_io_executor ex, boost::asio::ip::tcp::socket& s) : timer{std::move(ex)}, socket{&s} {}
        boost::asio::steady_timer timer;
        boost::asio::ip::tcp::socket* socket;
        clock::time_point limit{};
        bool armed = false;  // a wait is pending, for timer.expiry()
        bool fired = false;
    };

    static void arm(const std::shared_ptr<state>& st, clock::time_point tp) {
        st->armed = true;
        // Setting the expiry cancels a wait already pending: its handler
        // runs with operation_aborted and leaves everything to this one.
        st->timer.expires_at(tp);
        st->timer.async_wait([st](boost::system::error_code ec) {
            if (ec == boost::asio::error::operation_aborted || st->socket == nullptr) return;
            st->armed = false;
            if (clock::now() < st->limit) {
                arm(st, st->limit);  // the limit moved on since this wait began
                return;
            }
            st->fired = true;
            boost::system::error_code ignored;
            st->socket->cancel(ignored);
        });
    }

    std::shared_ptr<state> state_;
};

}  // namespace araldo::detail
