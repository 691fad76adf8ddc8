#include "http/tls_server.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace araldo::detail {
namespace {

using error_code = boost::system::error_code;

// A TLS record carries at most 16 KiB of plaintext: gathering more for one
// write gains nothing.
constexpr std::size_t max_record = 16 * 1024;

std::string openssl_reason(unsigned long code) {
    if (code == 0) return "unknown error";
    char text[256];
    ::ERR_error_string_n(code, text, sizeof text);
    // "error:0A000086:SSL routines::certificate verify failed": keep the reason.
    std::string_view s{text};
    if (const auto colon = s.rfind(':'); colon != std::string_view::npos) s.remove_prefix(colon + 1);
    return std::string(s);
}

[[noreturn]] void fail_loading(const std::string& what, const std::string& file) {
    const auto code = ::ERR_peek_last_error();
    ::ERR_clear_error();
    throw std::runtime_error("cannot load " + what + " " + file + ": " + openssl_reason(code));
}

int alpn_select(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                void*) {
    static constexpr unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    unsigned char* chosen = nullptr;
    if (::SSL_select_next_proto(&chosen, outlen, http11, sizeof http11, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;  // a client offering only h2 still gets HTTP/1.1, without ALPN
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

// An encrypted key would make OpenSSL ask for a passphrase on the terminal
// of a daemon: refusing instead makes the load fail with a clear reason.
int no_passphrase(char*, int, int, void*) { return 0; }

bool kernel_offers_tls() {
    std::ifstream ulp("/proc/sys/net/ipv4/tcp_available_ulp");
    std::string word;
    while (ulp >> word)
        if (word == "tls") return true;
    return false;
}

}  // namespace

tls_server_context::tls_server_context(const tls_listener_config& config) : config_(config) {
    ::ERR_clear_error();
    ctx_ = ::SSL_CTX_new(::TLS_server_method());
    if (ctx_ == nullptr) fail_loading("an SSL context", "");
    try {
        ::SSL_CTX_set_min_proto_version(ctx_, config.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
        ::SSL_CTX_set_default_passwd_cb(ctx_, no_passphrase);
        // kTLS where the kernel and OpenSSL offer it; release_buffers keeps an
        // idle connection from holding its record buffers.
        ::SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_ENABLE_KTLS);
        ::SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        // Without read-ahead OpenSSL reads each record with two read(2)s, its
        // 5-byte header and then the rest; with it, one read takes what the
        // socket holds. has_buffered() then also counts records not yet decrypted.
        ::SSL_CTX_set_read_ahead(ctx_, 1);
        if (::SSL_CTX_use_certificate_chain_file(ctx_, config.cert.c_str()) != 1)
            fail_loading("certificate", config.cert);
        if (::SSL_CTX_use_PrivateKey_file(ctx_, config.key.c_str(), SSL_FILETYPE_PEM) != 1)
            fail_loading("key", config.key);
        if (::SSL_CTX_check_private_key(ctx_) != 1) fail_loading("key (it does not match the certificate)", config.key);
        ::SSL_CTX_set_alpn_select_cb(ctx_, alpn_select, nullptr);
        // Resumed sessions of verified clients need an id context, or OpenSSL refuses them.
        static constexpr unsigned char id_context[] = "araldo";
        ::SSL_CTX_set_session_id_context(ctx_, id_context, sizeof id_context - 1);
        if (config.client_certs != client_cert_mode::none) {
            if (::SSL_CTX_load_verify_locations(ctx_, config.ca.c_str(), nullptr) != 1) fail_loading("CA", config.ca);
            // Tells clients which issuers are accepted, so they pick the right certificate.
            if (STACK_OF(X509_NAME)* names = ::SSL_load_client_CA_file(config.ca.c_str()))
                ::SSL_CTX_set_client_CA_list(ctx_, names);
            int mode = SSL_VERIFY_PEER;
            if (config.client_certs == client_cert_mode::required) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
            ::SSL_CTX_set_verify(ctx_, mode, nullptr);
        }
    } catch (...) {
        ::SSL_CTX_free(ctx_);
        throw;
    }
}

tls_server_context::~tls_server_context() { ::SSL_CTX_free(ctx_); }

// ---- the connection ----------------------------------------------------------

server_tls_connection::server_tls_connection(std::shared_ptr<const tls_server_context> ctx,
                                             asio::ip::tcp::socket& socket)
    : ctx_(std::move(ctx)), ssl_(::SSL_new(ctx_->native())) {
    if (ssl_ == nullptr) throw std::runtime_error("SSL_new failed: " + openssl_reason(::ERR_get_error()));
    error_code ec;
    socket.non_blocking(true, ec);
    // A socket BIO (not asio's BIO pair): OpenSSL can then enable kTLS on it.
    // BIO_NOCLOSE: the descriptor stays the socket's.
    BIO* bio = ::BIO_new_socket(socket.native_handle(), BIO_NOCLOSE);
    ::SSL_set_bio(ssl_, bio, bio);
    ::SSL_set_accept_state(ssl_);
}

server_tls_connection::~server_tls_connection() { ::SSL_free(ssl_); }

io_result server_tls_connection::step_result(int ret, std::size_t bytes) {
    if (ret > 0) return {bytes, io_wait::none, {}};
    const int err = ::SSL_get_error(ssl_, ret);
    last_ssl_error_ = err;
    switch (err) {
        case SSL_ERROR_WANT_READ: return {0, io_wait::readable, {}};
        case SSL_ERROR_WANT_WRITE: return {0, io_wait::writable, {}};
        case SSL_ERROR_ZERO_RETURN: return {0, io_wait::none, asio::error::eof};
        default: break;
    }
    last_error_ = ::ERR_peek_last_error();
    ::ERR_clear_error();
    if (err == SSL_ERROR_SYSCALL && errno != 0 && last_error_ == 0)
        return {0, io_wait::none, error_code(errno, boost::system::system_category())};
    // A peer that closes without close_notify (browsers do) is still a close.
    if (err == SSL_ERROR_SYSCALL || ERR_GET_REASON(last_error_) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return {0, io_wait::none, asio::error::eof};
    return {0, io_wait::none, error_code(static_cast<int>(last_error_), asio::error::get_ssl_category())};
}

io_result server_tls_connection::handshake_step() {
    ::ERR_clear_error();
    errno = 0;
    const int ret = ::SSL_do_handshake(ssl_);
    auto r = step_result(ret, 0);
    if (ret == 1) collect_info();
    return r;
}

handshake_failure server_tls_connection::failure(bool timed_out) const {
    if (timed_out) return {"timeout", "no complete handshake within the handshake timeout"};
    const int reason = ERR_GET_REASON(last_error_);
    const long verify = ::SSL_get_verify_result(ssl_);
    if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
        return {"no_certificate", "the client sent no certificate, and this listener requires one"};
    if (verify != X509_V_OK && reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
        return {"certificate", std::string("client certificate refused: ") + ::X509_verify_cert_error_string(verify)};
    if (reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST)
        return {"plaintext", "the client spoke plain HTTP to a TLS listener"};
    if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_NO_SHARED_CIPHER ||
        reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION)
        return {"version", openssl_reason(last_error_)};
    if (last_error_ == 0 || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return {"closed", "the client closed the connection during the handshake"};
    return {"protocol", openssl_reason(last_error_)};
}

void server_tls_connection::collect_info() {
    auto info = std::make_shared<tls_info>();
    info->version = ::SSL_get_version(ssl_);
    info->cipher = ::SSL_CIPHER_get_name(::SSL_get_current_cipher(ssl_));
    const unsigned char* alpn = nullptr;
    unsigned alpn_len = 0;
    ::SSL_get0_alpn_selected(ssl_, &alpn, &alpn_len);
    info->alpn.assign(reinterpret_cast<const char*>(alpn), alpn_len);
    info->kernel_send = BIO_get_ktls_send(::SSL_get_wbio(ssl_)) != 0;  // macros
    info->kernel_recv = BIO_get_ktls_recv(::SSL_get_rbio(ssl_)) != 0;
    info->peer = verified_peer(ssl_);
    info_ = std::move(info);
}

io_result server_tls_connection::read(void* data, std::size_t size) {
    ::ERR_clear_error();
    errno = 0;
    std::size_t n = 0;
    const int ret = ::SSL_read_ex(ssl_, data, size, &n);
    return step_result(ret, n);
}

io_result server_tls_connection::write(std::span<const boost::asio::const_buffer> buffers) {
    // A retry offers the bytes staged last time, which the caller still holds
    // at the front of `buffers`. Otherwise gather up to one record.
    if (staged_.empty()) {
        for (const auto& b : buffers) {
            const auto take = std::min(b.size(), max_record - staged_.size());
            staged_.append(static_cast<const char*>(b.data()), take);
            if (staged_.size() == max_record) break;
        }
    }
    std::size_t done = 0;
    while (done < staged_.size()) {
        ::ERR_clear_error();
        errno = 0;
        std::size_t n = 0;
        const int ret = ::SSL_write_ex(ssl_, staged_.data() + done, staged_.size() - done, &n);
        auto r = step_result(ret, n);
        if (ret <= 0) {
            // Nothing of what is left was taken: keep it staged for the retry.
            staged_.erase(0, done);
            r.bytes = done;
            if (r.error) staged_.clear();
            return r;
        }
        done += n;
    }
    staged_.clear();
    if (staged_.capacity() > max_record) std::string{}.swap(staged_);
    return {done, io_wait::none, {}};
}

// SSL_pending() counts only the decrypted rest of the current record; with
// read-ahead, whole records may wait in OpenSSL's buffer too.
bool server_tls_connection::has_buffered() const { return ::SSL_has_pending(ssl_) == 1; }

void server_tls_connection::close_notify() {
    ::ERR_clear_error();
    ::SSL_shutdown(ssl_);  // one attempt: a socket that will not take it now is closing anyway
    ::ERR_clear_error();
}

std::string describe_record_layer(const tls_info& info) {
    if (info.kernel_send && info.kernel_recv) return "kernel TLS (send and receive)";
    if (info.kernel_send) return "kernel TLS for sending, userspace for receiving";
    if (kernel_offers_tls()) return "userspace TLS (the kernel's tls module is loaded, but OpenSSL did not use it)";
    return "userspace TLS (the kernel offers no tls module)";
}

}  // namespace araldo::detail
