#include "receiver.hpp"

#include "support/process.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <iterator>
#include <mutex>
#include <sstream>
#include <thread>

namespace araldo::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The subject CN of the certificate the client presented and OpenSSL
// verified; empty without one.
std::string peer_common_name(SSL* ssl) {
    if (SSL_get_verify_result(ssl) != X509_V_OK) return {};
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert) return {};
    char cn[256] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
}

}  // namespace

std::string test_base64_encode(const std::string& bytes) {
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8 | (unsigned char)bytes[i + 2];
        for (int s = 18; s >= 0; s -= 6) out += alphabet[(v >> s) & 63];
    }
    if (bytes.size() - i == 1) {
        unsigned v = (unsigned char)bytes[i] << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += "==";
    } else if (bytes.size() - i == 2) {
        unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string test_base64_decode(const std::string& text) {
    std::string out;
    unsigned v = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '=') break;
        const char* p = std::strchr(alphabet, c);
        if (!p || !c) return {};
        v = v << 6 | static_cast<unsigned>(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((v >> bits) & 0xFF);
        }
    }
    return out;
}

std::string expected_signature(const std::string& secret, const std::string& id, const std::string& timestamp,
                               const std::string& body) {
    std::string key = test_base64_decode(secret.substr(6));  // after "whsec_"
    std::string content = id + "." + timestamp + "." + body;
    unsigned char mac[64];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
         content.size(), mac, &len);
    return "v1," + test_base64_encode(std::string(reinterpret_cast<char*>(mac), len));
}

struct receiver::impl {
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    std::vector<std::string> secrets;
    mutable std::mutex mutex;  // the test thread reads what this thread records
    std::vector<received_request> requests;
    std::function<reply(const received_request&, std::size_t)> respond = [](auto&, auto) { return reply{}; };
    std::thread thread;
    std::optional<asio::ssl::context> tls;
    std::vector<std::string> handshake_errors;

    void check_signature(received_request& r) const {
        if (secrets.empty()) {
            r.signature_valid = true;
            return;
        }
        std::string ts = r.header("webhook-timestamp");
        long long t = ts.empty() ? 0 : std::atoll(ts.c_str());
        if (std::llabs(static_cast<long long>(std::time(nullptr)) - t) > 300) {
            r.signature_problem = "timestamp '" + ts + "' outside +-5 minutes";
            return;
        }
        std::istringstream entries(r.header("webhook-signature"));
        std::vector<std::string> got{std::istream_iterator<std::string>(entries), {}};
        for (const auto& s : secrets) {
            auto want = expected_signature(s, r.header("webhook-id"), ts, r.body);
            if (std::find(got.begin(), got.end(), want) == got.end()) {
                r.signature_problem = "no entry matches " + want + " in '" + r.header("webhook-signature") + "'";
                return;
            }
        }
        r.signature_valid = true;
    }

    received_request record(const http::request<http::string_body>& req, int connection, const std::string& peer_cn,
                            reply& answer) {
        received_request r;
        r.connection = connection;
        r.peer_cn = peer_cn;
        r.method = std::string(req.method_string());
        r.target = std::string(req.target());
        for (const auto& f : req) {
            std::string name(f.name_string());
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            r.headers[name] = std::string(f.value());
        }
        r.body = req.body();
        r.at = std::chrono::steady_clock::now();
        check_signature(r);
        std::lock_guard lock(mutex);
        requests.push_back(r);
        answer = respond(r, requests.size() - 1);
        return r;
    }

    int connections = 0;  // only touched on the receiver's thread

    template <class Stream>
    asio::awaitable<void> serve(Stream& stream, std::string peer_cn = {}) {
        int connection = ++connections;
        beast::flat_buffer buf;
        for (;;) {
            http::request<http::string_body> req;
            auto [ec, n] = co_await http::async_read(stream, buf, req, asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            reply answer;
            record(req, connection, peer_cn, answer);
            if (answer.hang) {
                asio::steady_timer forever(stream.get_executor(), std::chrono::hours(1));
                co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
                co_return;
            }
            http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
            for (auto& [k, v] : answer.headers) res.set(k, v);
            res.body() = answer.body;
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            auto [wec, m] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
            if (wec || !res.keep_alive() || answer.close_after) co_return;
        }
    }

    asio::awaitable<void> session(tcp::socket socket) {
        if (!tls) {
            beast::tcp_stream stream(std::move(socket));
            co_await serve(stream);
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
        auto [ec] =
            co_await stream.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            std::lock_guard lock(mutex);
            handshake_errors.push_back(ec.message());
            co_return;
        }
        co_await serve(stream, peer_common_name(stream.native_handle()));
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            asio::co_spawn(io, session(std::move(socket)), asio::detached);
        }
    }
};

receiver::receiver(std::vector<std::string> secrets, std::optional<tls_files> tls) : impl_(std::make_unique<impl>()) {
    impl_->secrets = std::move(secrets);
    if (tls) {
        impl_->tls.emplace(asio::ssl::context::tls_server);
        impl_->tls->use_certificate_chain_file(tls->cert);
        impl_->tls->use_private_key_file(tls->key, asio::ssl::context::pem);
        if (!tls->client_ca.empty()) {
            impl_->tls->load_verify_file(tls->client_ca);
            impl_->tls->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
        }
    }
    tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), 0};
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

receiver::~receiver() {
    impl_->io.stop();
    impl_->thread.join();
}

unsigned short receiver::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string receiver::url(const std::string& path) const {
    return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) + path;
}

void receiver::respond(std::function<reply(const received_request&, std::size_t)> f) {
    std::lock_guard lock(impl_->mutex);
    impl_->respond = std::move(f);
}

std::vector<received_request> receiver::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->requests;
}

std::vector<std::string> receiver::handshake_errors() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->handshake_errors;
}

std::size_t receiver::count() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->requests.size();
}

bool receiver::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
    return wait_until([&] { return count() >= n; }, timeout);
}

}  // namespace araldo::test
