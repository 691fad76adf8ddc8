// The bytes under a session: the upgraded TCP socket, and the TLS stream
// over it when the listener was a TLS one. Non-blocking reads and gather
// writes that say what to wait for when they cannot go on; the waits are
// readiness waits on the socket, so an idle client costs one pending wait
// whichever it is.
//
// The socket is re-made on the io_context's own executor type: the
// listener's, a polymorphic any_io_executor, takes 56 bytes in the socket
// and again in every pending wait, for a pointer's worth of information.
#pragma once

#include <araldo/tls.hpp>

#include <sys/uio.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <utility>

namespace araldo::plugins::endpoint_websocket {

namespace asio = boost::asio;

class ws_transport {
public:
    using socket_type = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

    // `tls` is null on a plain listener. Throws std::runtime_error when the
    // socket does not run on an io_context.
    ws_transport(asio::ip::tcp::socket socket, std::unique_ptr<araldo::tls_stream> tls);
    ~ws_transport() = default;
    ws_transport(const ws_transport&) = delete;
    ws_transport& operator=(const ws_transport&) = delete;

    // Plaintext into `into`. The peer closing is asio::error::eof.
    araldo::io_result read(std::span<char> into);
    // True when bytes may be left after a read that returned some: readiness
    // waits are edge-triggered, so what is left must be read before waiting.
    bool read_again(const araldo::io_result& r, std::size_t asked) const;
    // Writes from the front of `buffers`; `bytes` is what was taken. A wait
    // with bytes left means the socket is full (or, over TLS, that the
    // record layer needs the other direction first).
    araldo::io_result write(std::span<const iovec> buffers);

    // Runs `handler(error_code)` when the socket is ready for `what`.
    template <class Handler>
    void async_wait(araldo::io_wait what, Handler&& handler) {
        socket_.async_wait(what == araldo::io_wait::writable ? socket_type::wait_write : socket_type::wait_read,
                           std::forward<Handler>(handler));
    }

    // After the close frame: tells the client nothing follows (a FIN, or
    // over TLS a close_notify) while its answer can still be read.
    void end_output();
    // Closes the connection; pending waits end with operation_aborted.
    void close();

    bool tls() const noexcept { return tls_ != nullptr; }
    socket_type::executor_type get_executor() { return socket_.get_executor(); }

private:
    socket_type socket_;
    std::unique_ptr<araldo::tls_stream> tls_;  // declared after socket_: it goes first
    bool notified_ = false;                    // close_notify sent
};

}  // namespace araldo::plugins::endpoint_websocket
