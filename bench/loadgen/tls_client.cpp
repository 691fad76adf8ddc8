#include "tls_client.hpp"

#include "rx_stamp.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace araldo::bench {

namespace {

std::string openssl_errors() {
    std::string out;
    while (const unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? std::string("no detail") : out;
}

// SSL_get_error() needs an empty error queue; clearing one that is empty costs
// more than the look, on every read.
void clear_errors() {
    if (ERR_peek_error() != 0) ERR_clear_error();
}

// What the socket BIO knows of its connection.
struct socket_link {
    int fd = -1;
    bool drained = false;
    std::uint64_t stamp = 0;
};

// recvmsg() rather than read(), for the receive timestamps; send() without SIGPIPE.
int link_read(BIO* b, char* out, int len) {
    BIO_clear_retry_flags(b);
    auto* link = static_cast<socket_link*>(BIO_get_data(b));
    const ssize_t n = recv_stamped(link->fd, out, static_cast<std::size_t>(len), link->stamp);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            link->drained = true;
            BIO_set_retry_read(b);
        }
        return -1;
    }
    link->drained = n < len;
    return static_cast<int>(n);
}

int link_write(BIO* b, const char* in, int len) {
    BIO_clear_retry_flags(b);
    auto* link = static_cast<socket_link*>(BIO_get_data(b));
    const ssize_t n = send(link->fd, in, static_cast<std::size_t>(len), MSG_NOSIGNAL);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) BIO_set_retry_write(b);
        return -1;
    }
    return static_cast<int>(n);
}

long link_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int link_create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
}

const BIO_METHOD* link_method() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "loadgen socket");
        BIO_meth_set_read(m, link_read);
        BIO_meth_set_write(m, link_write);
        BIO_meth_set_ctrl(m, link_ctrl);
        BIO_meth_set_create(m, link_create);
        return m;
    }();
    return method;
}

}  // namespace

tls_client::tls_client(const std::string& ca_file, bool release_buffers) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) throw std::runtime_error("SSL_CTX_new: " + openssl_errors());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION);
    // Whatever the system's openssl.cnf says: the generator's own encryption stays
    // in user space, so /proc/net/tls_stat counts only the relay's connections.
    SSL_CTX_clear_options(ctx_, SSL_OP_ENABLE_KTLS);
    SSL_CTX_set_ciphersuites(ctx_, "TLS_AES_128_GCM_SHA256");
    SSL_CTX_set1_groups_list(ctx_, "X25519");
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    const int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_)
                                       : SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    if (loaded != 1) {
        const std::string why = openssl_errors();
        SSL_CTX_free(ctx_);
        throw std::runtime_error("--ca " + ca_file + ": " + why);
    }
    // One read() takes up to a full record's worth and more, not a header then a body.
    SSL_CTX_set_read_ahead(ctx_, 1);
    long mode = SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
    // 10 000 idle clients need no record buffers; a busy one keeps them.
    if (release_buffers) mode |= SSL_MODE_RELEASE_BUFFERS;
    SSL_CTX_set_mode(ctx_, mode);
}

tls_client::~tls_client() { SSL_CTX_free(ctx_); }

struct tls_conn::state {
    SSL* ssl = nullptr;
    socket_link link;
    ~state() {
        if (ssl != nullptr) SSL_free(ssl);
    }
};

tls_conn::tls_conn() = default;
tls_conn::~tls_conn() = default;
tls_conn::tls_conn(tls_conn&&) noexcept = default;
tls_conn& tls_conn::operator=(tls_conn&&) noexcept = default;

bool tls_conn::handshake(const tls_client& ctx, int fd, const std::string& host, std::string& err) {
    ERR_clear_error();
    auto st = std::make_unique<state>();
    st->link.fd = fd;
    st->ssl = SSL_new(ctx.native());
    BIO* bio = st->ssl != nullptr ? BIO_new(link_method()) : nullptr;
    if (bio == nullptr) {
        err = "SSL_new: " + openssl_errors();
        return false;
    }
    BIO_set_data(bio, &st->link);
    SSL_set_bio(st->ssl, bio, bio);
    X509_VERIFY_PARAM* param = SSL_get0_param(st->ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
        ERR_clear_error();  // not an address: a host name, which also goes out as SNI
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
        SSL_set_tlsext_host_name(st->ssl, host.c_str());
    }
    if (SSL_connect(st->ssl) != 1) {
        const long verify = SSL_get_verify_result(st->ssl);
        err = "TLS handshake: " + openssl_errors();
        if (verify != X509_V_OK) err += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
        return false;
    }
    st_ = std::move(st);
    return true;
}

long tls_conn::read(char* p, std::size_t n) {
    clear_errors();
    const int r = SSL_read(st_->ssl, p, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
    if (r > 0) return r;
    switch (SSL_get_error(st_->ssl, r)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE: return would_block;
        case SSL_ERROR_ZERO_RETURN: return 0;
        default: return failed;
    }
}

long tls_conn::write(const char* p, std::size_t n) {
    clear_errors();
    const int r = SSL_write(st_->ssl, p, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
    if (r > 0) return r;
    const int e = SSL_get_error(st_->ssl, r);
    return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? would_block : failed;
}

bool tls_conn::has_pending() const { return SSL_has_pending(st_->ssl) == 1; }
bool tls_conn::drained() const { return st_->link.drained; }
std::uint64_t tls_conn::stamp_wall_ns() const { return st_->link.stamp; }
std::string tls_conn::error() const { return openssl_errors(); }

std::string tls_conn::describe() const {
    if (!st_) return "";
    std::string out = SSL_get_version(st_->ssl);
    out += ' ';
    out += SSL_CIPHER_get_name(SSL_get_current_cipher(st_->ssl));
    if (const char* group = SSL_group_to_name(st_->ssl, SSL_get_negotiated_group(st_->ssl))) {
        out += ' ';
        out += group;
    }
    return out;
}

}  // namespace araldo::bench
