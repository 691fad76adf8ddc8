// A TLS connection as the HTTP session's stream: the interface
// plain_socket_stream offers (async_read_some, async_write_some, write_now,
// expires_after/at, timed_out, socket()) and release(), built on
// server_tls_connection's non-blocking steps and the socket's readiness.
// Private to core/http; only listener_session.cpp instantiates it.
#pragma once

#include "http/connection_deadline.hpp"
#include "http/tls_server.hpp"

#include <boost/asio/compose.hpp>
#include <boost/beast/core/error.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <span>
#include <utility>

namespace araldo::detail {

class tls_socket_stream {
public:
    using executor_type = asio::any_io_executor;
    using clock = std::chrono::steady_clock;

    tls_socket_stream(asio::ip::tcp::socket socket, std::shared_ptr<const tls_server_context> ctx)
        : socket_{std::move(socket)}, deadline_{socket_} {
        tls_ = std::make_unique<server_tls_connection>(std::move(ctx), socket_);
    }
    tls_socket_stream(const tls_socket_stream&) = delete;
    tls_socket_stream& operator=(const tls_socket_stream&) = delete;

    executor_type get_executor() noexcept { return socket_.get_executor(); }
    asio::ip::tcp::socket& socket() noexcept { return socket_; }
    server_tls_connection& tls() noexcept { return *tls_; }

    // Operations pending when the time comes fail with beast::error::timeout.
    void expires_after(clock::duration d) { deadline_.expires_after(d); }
    void expires_at(clock::time_point tp) { deadline_.expires_at(tp); }

    // Hands the socket and the TLS session to an upgrade route.
    std::pair<asio::ip::tcp::socket, std::unique_ptr<tls_stream>> release() {
        deadline_.detach();
        return {std::move(socket_), std::move(tls_)};
    }

    // Drives the handshake to its end (error_code{}) or a failure.
    template <class Token>
    auto async_handshake(Token&& token) {
        return run_steps([this](std::size_t& n) {
            n = 0;
            return tls_->handshake_step();
        }, std::forward<Token>(token));
    }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        const asio::mutable_buffer b = *asio::buffer_sequence_begin(buffers);
        return run_steps([this, b](std::size_t& n) {
            auto r = tls_->read(b.data(), b.size());
            n = r.bytes;
            return r;
        }, std::forward<Token>(token));
    }

    // A write may take less than it is offered: the first few buffers are
    // enough, and copying their descriptions allocates nothing.
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        std::array<asio::const_buffer, 16> list;
        std::size_t count = 0;
        for (auto it = asio::buffer_sequence_begin(buffers);
             it != asio::buffer_sequence_end(buffers) && count < list.size(); ++it)
            list[count++] = *it;
        return run_steps([this, list, count](std::size_t& n) {
            auto r = tls_->write(std::span<const asio::const_buffer>(list.data(), count));
            n = r.bytes;
            return r;
        }, std::forward<Token>(token));
    }

    // What the connection takes now without waiting: whole records while
    // the socket accepts them (0 when it accepts none).
    std::size_t write_now(asio::const_buffer bytes, boost::system::error_code& ec) {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const asio::const_buffer rest = bytes + done;
            const auto r = tls_->write(std::span<const asio::const_buffer>(&rest, 1));
            done += r.bytes;
            if (r.error) {
                ec = r.error;
                break;
            }
            if (r.wait != io_wait::none) break;
        }
        return done;
    }

    bool timed_out() const noexcept { return deadline_.fired(); }

private:
    // Calls `step` until it moves bytes, finishes or fails, waiting for the
    // readiness it asks for in between. A step that moved bytes completes
    // the operation even if it also asks to wait.
    template <class Step, class Token>
    auto run_steps(Step step, Token&& token) {
        return asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            [this, step = std::move(step)](auto& self, boost::system::error_code ec = {}) mutable {
                if (ec) {
                    if (deadline_.fired()) ec = boost::beast::error::timeout;
                    self.complete(ec, 0);
                    return;
                }
                std::size_t n = 0;
                const auto r = step(n);
                if (r.error || r.wait == io_wait::none || n > 0) {
                    self.complete(r.error, n);
                    return;
                }
                const auto what = r.wait == io_wait::readable ? asio::ip::tcp::socket::wait_read
                                                              : asio::ip::tcp::socket::wait_write;
                socket_.async_wait(what, std::move(self));
            },
            token, socket_);
    }

    asio::ip::tcp::socket socket_;
    connection_deadline deadline_;  // after socket_: detaches before the socket dies
    std::unique_ptr<server_tls_connection> tls_;
};

}  // namespace araldo::detail
