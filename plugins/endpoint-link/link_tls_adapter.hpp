// An Asio AsyncStream over what an upgrade hands over on a TLS listener: the
// socket, the core's non-blocking tls_stream on it, and the plaintext the
// listener read past the request. Beast's websocket::stream runs on it.
//
// Each operation tries the TLS stream first and waits on the socket's
// readiness only when it must, as the SDK asks (araldo/tls.hpp). Included by
// link_ws.cpp only: it pulls in Beast.
#pragma once

#include <araldo/tls.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

namespace araldo::plugins::endpoint_link {

namespace asio = boost::asio;

class tls_adapter {
public:
    using executor_type = asio::any_io_executor;
    using error_code = boost::system::error_code;

    tls_adapter(asio::ip::tcp::socket socket, std::unique_ptr<araldo::tls_stream> tls, std::string buffered)
        : socket_(std::move(socket)), tls_(std::move(tls)), buffered_(std::move(buffered)) {
        error_code ignored;
        socket_.non_blocking(true, ignored);
        socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    }

    executor_type get_executor() { return socket_.get_executor(); }
    asio::ip::tcp::socket& socket() noexcept { return socket_; }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_compose<Token, void(error_code, std::size_t)>(read_op<MutableBuffers>{{*this, buffers}},
                                                                         token, socket_);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return asio::async_compose<Token, void(error_code, std::size_t)>(write_op<ConstBuffers>{{*this, buffers}},
                                                                         token, socket_);
    }

    // close_notify (if the socket takes it now), then the socket closes:
    // pending waits end with operation_aborted.
    void close() {
        if (tls_) tls_->close_notify();
        tls_.reset();
        error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

    // Beast's customisation points: its timeouts close the lowest layer, and
    // a WebSocket close ends with a teardown.
    friend void beast_close_socket(tls_adapter& s) { s.close(); }
    friend void teardown(boost::beast::role_type, tls_adapter& s, error_code& ec) {
        s.close();
        ec = {};
    }
    template <class Handler>
    friend void async_teardown(boost::beast::role_type, tls_adapter& s, Handler&& handler) {
        s.close();
        asio::post(s.get_executor(), [h = std::forward<Handler>(handler)]() mutable { h(error_code{}); });
    }

private:
    // An operation never completes inside its initiating call: the first
    // step is posted, as Asio's own sockets behave.
    template <class Buffers, bool Write>
    struct op_base {
        tls_adapter& s;
        Buffers buffers;
        bool started = false;

        template <class Self>
        bool begin(Self& self, const error_code& ec) {
            if (!started) {
                started = true;
                asio::post(s.socket_.get_executor(), std::move(self));
                return false;
            }
            if (ec) {
                self.complete(ec, 0);
                return false;
            }
            if (!s.tls_) {
                self.complete(asio::error::not_connected, 0);
                return false;
            }
            return true;
        }

        template <class Self>
        void finish(Self& self, const araldo::io_result& r) {
            if (r.error) return self.complete(r.error, 0);
            if (r.bytes > 0 || r.wait == araldo::io_wait::none) return self.complete(error_code{}, r.bytes);
            const auto wait = r.wait == araldo::io_wait::writable ? asio::ip::tcp::socket::wait_write
                                                                  : asio::ip::tcp::socket::wait_read;
            s.socket_.async_wait(wait, std::move(self));
        }
    };

    template <class Buffers>
    struct read_op : op_base<Buffers, false> {
        template <class Self>
        void operator()(Self& self, error_code ec = {}) {
            if (!this->begin(self, ec)) return;
            asio::mutable_buffer into;
            for (auto it = asio::buffer_sequence_begin(this->buffers); it != asio::buffer_sequence_end(this->buffers);
                 ++it) {
                if (asio::mutable_buffer b = *it; b.size() > 0) {
                    into = b;
                    break;
                }
            }
            if (into.size() == 0) return self.complete(error_code{}, 0);
            auto& pending = this->s.buffered_;
            if (!pending.empty()) {
                const std::size_t n = std::min(into.size(), pending.size());
                std::memcpy(into.data(), pending.data(), n);
                pending.erase(0, n);
                return self.complete(error_code{}, n);
            }
            this->finish(self, this->s.tls_->read(into.data(), into.size()));
        }
    };

    template <class Buffers>
    struct write_op : op_base<Buffers, true> {
        template <class Self>
        void operator()(Self& self, error_code ec = {}) {
            if (!this->begin(self, ec)) return;
            std::array<asio::const_buffer, 16> list;
            std::size_t count = 0;
            for (auto it = asio::buffer_sequence_begin(this->buffers);
                 it != asio::buffer_sequence_end(this->buffers) && count < list.size(); ++it) {
                if (asio::const_buffer b = *it; b.size() > 0) list[count++] = b;
            }
            if (count == 0) return self.complete(error_code{}, 0);
            this->finish(self, this->s.tls_->write(std::span<const asio::const_buffer>(list.data(), count)));
        }
    };

    asio::ip::tcp::socket socket_;
    std::unique_ptr<araldo::tls_stream> tls_;  // after socket_: destroyed first
    std::string buffered_;
};

}  // namespace araldo::plugins::endpoint_link
