#include "ws_transport.hpp"

#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/buffer.hpp>

#include <cerrno>
#include <stdexcept>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

namespace {

using error_code = boost::system::error_code;
using tcp = asio::ip::tcp;

asio::io_context& io_context_of(tcp::socket& socket) {
    const auto ex = socket.get_executor();
    if (const auto* io = ex.target<asio::io_context::executor_type>()) return io->context();
    throw std::runtime_error("the upgraded socket does not run on an io_context's executor");
}

// The same descriptor, registered again with the reactor under the narrow
// executor type (a getsockname and two epoll_ctl calls, once per connection).
ws_transport::socket_type own(tcp::socket socket) {
    auto& io = io_context_of(socket);
    error_code ec;
    const auto protocol = socket.local_endpoint(ec).protocol();
    if (ec) throw boost::system::system_error(ec, "getsockname");
    const auto fd = socket.release(ec);
    if (ec) throw boost::system::system_error(ec, "release");
    try {
        return ws_transport::socket_type{io, protocol, fd};
    } catch (...) {
        ::close(fd);
        throw;
    }
}

}  // namespace

ws_transport::ws_transport(tcp::socket socket, std::unique_ptr<araldo::tls_stream> tls)
    : socket_{own(std::move(socket))}, tls_{std::move(tls)} {
    error_code ignored;
    socket_.non_blocking(true, ignored);  // reads and writes never block the one thread
    socket_.set_option(tcp::no_delay(true), ignored);
}

araldo::io_result ws_transport::read(std::span<char> into) {
    if (tls_) return tls_->read(into.data(), into.size());
    araldo::io_result r;
    r.bytes = socket_.read_some(asio::buffer(into.data(), into.size()), r.error);
    if (r.error == asio::error::would_block || r.error == asio::error::try_again) {
        r.error = {};
        r.wait = araldo::io_wait::readable;
    }
    return r;
}

bool ws_transport::read_again(const araldo::io_result& r, std::size_t asked) const {
    // TLS returns a record at a time, however much the socket holds, and may
    // hold decrypted bytes of its own: only a read that has to wait proves
    // there is nothing left. A plain read that did not fill the buffer
    // emptied the socket.
    if (tls_) return r.bytes > 0 || tls_->has_buffered();
    return r.bytes == asked;
}

araldo::io_result ws_transport::write(std::span<const iovec> buffers) {
    if (tls_) {
        // One list for every session: a write uses it before returning, and
        // the relay runs one event loop thread.
        thread_local std::vector<asio::const_buffer> list;
        list.clear();
        for (const auto& b : buffers) list.emplace_back(b.iov_base, b.iov_len);
        return tls_->write(list);
    }
    std::size_t total = 0;
    for (const auto& b : buffers) total += b.iov_len;
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(buffers.data());  // sendmsg only reads the list
    msg.msg_iovlen = buffers.size();
    araldo::io_result r;
    for (;;) {
        // sendmsg, not writev: MSG_NOSIGNAL keeps a vanished client from raising SIGPIPE.
        const ssize_t sent = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent >= 0) {
            r.bytes = static_cast<std::size_t>(sent);
            if (r.bytes < total) r.wait = araldo::io_wait::writable;  // the socket buffer is full
            return r;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) r.wait = araldo::io_wait::writable;
        else r.error = error_code(errno, boost::system::system_category());
        return r;
    }
}

void ws_transport::end_output() {
    if (tls_) {
        // close_notify is TLS's FIN; a FIN under it could cut the alert short.
        if (!std::exchange(notified_, true)) tls_->close_notify();
        return;
    }
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

void ws_transport::close() {
    if (tls_ && !std::exchange(notified_, true)) tls_->close_notify();
    tls_.reset();  // the TLS session's memory goes now, not with the last handler
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

}  // namespace araldo::plugins::endpoint_websocket
