// TLS in the SDK, in plain types: plugins never include OpenSSL.
//
// - tls_info and tls_peer: what a connection accepted on a TLS listener is,
//   and who a verified client certificate says the client is. The core sets
//   them on every http_request it read over TLS.
// - tls_stream: the server side of such a connection, handed over with an
//   upgrade (http_upgrade::tls). It does non-blocking I/O on the upgrade's
//   socket; the owner waits for the socket's readiness itself, as it would on
//   a plain socket, so an idle TLS client costs no pending operation either.
// - tls_client_config: the one `tls: {ca, cert, key}` block every outbound
//   client in the tree reads (webhooks, Redis, links), and the SSL context
//   made from it.
#pragma once

#include <araldo/export.hpp>
#include <araldo/options.hpp>
#include <araldo/result.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio::ssl {
class context;
}
struct ssl_st;  // OpenSSL's SSL, as asio::ssl::stream::native_handle() returns it

namespace araldo {

struct global_settings;  // context.hpp

// From a client certificate that verified against the listener's `ca`.
struct tls_peer {
    std::string cn;                // the subject's common name; empty if it has none
    std::vector<std::string> san;  // subjectAltName DNS names and URIs, in certificate order
};

struct tls_info {
    std::string version;  // "TLSv1.3"
    std::string cipher;   // "TLS_AES_128_GCM_SHA256"
    std::string alpn;     // "http/1.1", or empty when the client offered none
    // Kernel TLS (Linux `tls` module): the kernel encrypts, decrypts or both,
    // and the socket carries plaintext for the process.
    bool kernel_send = false;
    bool kernel_recv = false;
    std::optional<tls_peer> peer;  // only when a client certificate was presented and verified
};

// The message attributes a verified client certificate gives everything its
// connection sends: tls.cn, and tls.san (the names joined by single spaces,
// which neither DNS names nor URIs contain). Empty without a verified peer.
ARALDO_EXPORT string_pairs tls_attributes(const tls_info& info);

// What one non-blocking step did: bytes moved, or the readiness to wait for
// before calling again (a TLS read may have to write, and a write to read),
// or an error. The peer closing is asio::error::eof.
enum class io_wait { none, readable, writable };
struct io_result {
    std::size_t bytes = 0;
    io_wait wait = io_wait::none;
    boost::system::error_code error;
};

// Made by the core after the handshake; plugins only use it.
class ARALDO_EXPORT tls_stream {
public:
    virtual ~tls_stream();  // frees the session; the socket stays open, it belongs to the upgrade

    // Decrypts into `data`. After a wait for readability, call again.
    virtual io_result read(void* data, std::size_t size) = 0;
    // Encrypts from the front of `buffers`: small buffers are gathered into
    // records of up to 16 KiB, so a burst of frames costs few records and one
    // socket write each, not one per frame. `bytes` counts plaintext taken.
    // After a wait, call again with at least the same bytes at the front
    // (more may follow); that is what OpenSSL requires of a write it retries.
    virtual io_result write(std::span<const boost::asio::const_buffer> buffers) = 0;
    // True when read() can return bytes although the socket is not readable:
    // a record already received holds more than the last read took, or
    // records already read from the socket wait to be decrypted.
    virtual bool has_buffered() const = 0;
    // Sends close_notify if the socket takes it now; never waits.
    virtual void close_notify() = 0;

    virtual const tls_info& info() const = 0;
};

// The `tls` block of an outbound client. Every field is optional: without
// `ca` the system's trust store verifies the server; `cert` and `key`
// (both or neither) present a client certificate.
struct tls_client_config {
    std::string ca;    // PEM CA certificates, resolved against the config's folder
    std::string cert;  // PEM certificate chain
    std::string key;   // PEM private key
};

// The option table entry for the block: an object named `name` with ca,
// cert and key, to put in a plugin's option table.
ARALDO_EXPORT option_spec tls_client_option(std::string name = "tls");

// Reads the block declared by tls_client_option(name); nullopt when it is
// not written. A cert without a key (or the reverse) fails at the option.
// Reads no file: contexts are made in start(), never while checking.
ARALDO_EXPORT std::optional<tls_client_config> read_tls_client_config(const options& opts,
                                                                      const global_settings& global,
                                                                      std::string_view name = "tls");

// Prepares a client context: TLS 1.2 or later, the server verified against
// `ca` (or the system's store), the client certificate if configured.
// Throws std::runtime_error naming the file that could not be loaded and why.
// Which server is verified is per connection: see prepare_tls_client().
ARALDO_EXPORT void configure_tls_client(boost::asio::ssl::context& ctx, const tls_client_config& config);

// Before a client handshake: the server's certificate must name `host` (a
// DNS name, or an IP address checked against its IP SANs), checked by
// OpenSSL during verification, so a mismatch fails the handshake with
// SSL_get_verify_result() saying "hostname mismatch" or "IP address
// mismatch". A name is also sent as SNI (RFC 6066 allows no addresses).
ARALDO_EXPORT result<> prepare_tls_client(ssl_st* ssl, std::string_view host);

// Who the other side of `ssl` is, by the certificate it presented, when that
// certificate verified: a listener's client, or the server a client dialled.
ARALDO_EXPORT std::optional<tls_peer> verified_peer(ssl_st* ssl);

}  // namespace araldo
