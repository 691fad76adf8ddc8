// A plain TCP connection as the HTTP session's stream: the interface
// tls_socket_stream offers (async_read_some, async_write_some, write_now,
// expires_after/at, timed_out, socket()), on the socket itself with one
// connection_deadline. beast::tcp_stream, which this replaces, starts and
// cancels a timer around every operation. Private to core/http.
#pragma once

#include "http/connection_deadline.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <utility>

namespace araldo::detail {

class plain_socket_stream {
public:
    using executor_type = boost::asio::any_io_executor;
    using clock = connection_deadline::clock;

    explicit plain_socket_stream(boost::asio::ip::tcp::socket socket) : socket_{std::move(socket)}, deadline_{socket_} {
        // write_now() must not block; asynchronous operations are unaffected.
        boost::system::error_code ignored;
        socket_.non_blocking(true, ignored);
    }

    executor_type get_executor() noexcept { return socket_.get_executor(); }
    boost::asio::ip::tcp::socket& socket() noexcept { return socket_; }

    void expires_after(clock::duration d) { deadline_.expires_after(d); }
    void expires_at(clock::time_point tp) { deadline_.expires_at(tp); }
    bool timed_out() const noexcept { return deadline_.fired(); }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return socket_.async_read_some(buffers, std::forward<Token>(token));
    }
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return socket_.async_write_some(buffers, std::forward<Token>(token));
    }

    // What the socket takes now without waiting (0 when its buffer is full).
    std::size_t write_now(boost::asio::const_buffer bytes, boost::system::error_code& ec) {
        const auto n = socket_.write_some(bytes, ec);
        if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) ec = {};
        return n;
    }

    // Hands the socket to an upgrade route, in the blocking mode it came in.
    boost::asio::ip::tcp::socket release_socket() {
        deadline_.detach();
        boost::system::error_code ignored;
        socket_.non_blocking(false, ignored);
        return std::move(socket_);
    }

private:
    boost::asio::ip::tcp::socket socket_;
    connection_deadline deadline_;  // after socket_: detaches before the socket dies
};

}  // namespace araldo::detail
