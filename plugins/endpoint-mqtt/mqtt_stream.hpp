// The byte stream to the broker: TCP, or TLS over TCP for mqtts://. The
// session only sees connect / read_some / write / close, the same for both.
#pragma once

#include <araldo/result.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace araldo::plugins::endpoint_mqtt {

namespace asio = boost::asio;
using boost::system::error_code;

class mqtt_stream {
public:
    explicit mqtt_stream(asio::any_io_executor ex) : ex_(std::move(ex)) {}

    // Resolves, connects and, with a TLS context, completes the handshake
    // with `host` as the name the certificate must carry and the SNI. Closes
    // any previous connection first. A failure's reason is the system's words
    // ("Connection refused"), or starts with "cannot resolve" or "TLS: ".
    asio::awaitable<araldo::result<>> connect(const std::string& host, std::uint16_t port, asio::ssl::context* tls);
    // At least one byte; eof when the broker closed the connection.
    asio::awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buf);
    // What has arrived already, without waiting: 0 when nothing has (or over
    // TLS, whose records the asynchronous reads take whole). Sets `ec` as
    // read_some would.
    std::size_t read_ready(asio::mutable_buffer buf, error_code& ec);
    asio::awaitable<error_code> write(asio::const_buffer buf);
    // Pending operations complete with operation_aborted.
    void close() noexcept;

private:
    using tls_socket = asio::ssl::stream<asio::ip::tcp::socket>;

    asio::any_io_executor ex_;
    // A TLS session cannot be reused after it closed: every connect builds the socket anew.
    std::optional<std::variant<asio::ip::tcp::socket, tls_socket>> socket_;
};

}  // namespace araldo::plugins::endpoint_mqtt
