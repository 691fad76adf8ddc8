#include "clients.hpp"

#include "../common/ws_wire.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace araldo::bench {

int tcp_connect(const target& t, std::string& err) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(t.port);
    if (inet_pton(AF_INET, t.host.c_str(), &addr.sin_addr) != 1) {
        err = "not an IPv4 address: " + t.host;
        return -1;
    }
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = std::string("socket: ") + std::strerror(errno);
        return -1;
    }
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        err = "connect " + t.host + ":" + std::to_string(t.port) + ": " + std::strerror(errno);
        close(fd);
        return -1;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

namespace {

// On the blocking socket of a handshake: SO_RCVTIMEO/SO_SNDTIMEO bound each call.
bool write_all(int fd, tls_conn& tls, const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
        const long n = tls ? tls.write(s.data() + off, s.size() - off) : write(fd, s.data() + off, s.size() - off);
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

long read_some(int fd, tls_conn& tls, char* p, std::size_t n) { return tls ? tls.read(p, n) : read(fd, p, n); }

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

int ws_connect(const target& t, const tls_client* tls, tls_conn& conn, std::string& leftover, std::string& err) {
    const int fd = tcp_connect(t, err);
    if (fd < 0) return -1;
    if (t.tls && (tls == nullptr || !conn.handshake(*tls, fd, t.host, err))) {
        if (tls == nullptr) err = "wss:// without a TLS context";
        close(fd);
        return -1;
    }
    const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
    const std::string request = "GET " + t.path + " HTTP/1.1\r\nHost: " + t.host + ":" + std::to_string(t.port) +
                                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                                "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    std::string in;
    std::size_t end = std::string::npos;
    if (write_all(fd, conn, request)) {
        char buf[4096];
        while ((end = in.find("\r\n\r\n")) == std::string::npos && in.size() < 65536) {
            const long n = read_some(fd, conn, buf, sizeof buf);
            if (n <= 0) break;
            in.append(buf, static_cast<std::size_t>(n));
        }
    }
    if (end == std::string::npos) {
        err = "no handshake response from " + t.host + ":" + std::to_string(t.port) + t.path + ": " +
              (conn ? conn.error() : std::string(std::strerror(errno)));
        conn = tls_conn();
        close(fd);
        return -1;
    }
    const std::string_view head(in.data(), end + 2);
    if (head.substr(9, 3) != "101" || http_header(head, "Sec-WebSocket-Accept") != ws_accept_key(key)) {
        err = "upgrade refused: " + std::string(head.substr(0, head.find("\r\n")));
        conn = tls_conn();
        close(fd);
        return -1;
    }
    leftover = in.substr(end + 4);
    set_nonblocking(fd);
    return fd;
}

bool publisher::open(const options& o, const tls_client* tls, std::string& err) {
    kind_ = o.pub_kind;
    size_ = o.size;
    std::string leftover;
    if (kind_ == publish_kind::ws) {
        fd_ = ws_connect(o.pub, tls, tls_, leftover, err);
        if (fd_ < 0) return false;
        ws_append_header(prefix_, ws_opcode::text, size_, true);
        return true;
    }
    fd_ = tcp_connect(o.pub, err);
    if (fd_ < 0) return false;
    if (kind_ == publish_kind::mqtt) return mqtt_open(o, err);
    set_nonblocking(fd_);
    const std::string len = std::to_string(size_);
    if (kind_ == publish_kind::http) {
        head_ = "POST " + o.pub.path;
        tail_ = " HTTP/1.1\r\nHost: " + o.pub.host + ":" + std::to_string(o.pub.port) +
                "\r\nContent-Type: application/json\r\nContent-Length: " + len + "\r\n";
        // nchan answers with the message's id in JSON, where a resume starts from.
        if (o.resume && o.via == folder_via::path) tail_ += "Accept: text/json\r\n";
        tail_ += "\r\n";
        prefix_ = head_ + tail_;
        via_ = o.via;
    } else {
        prefix_ = "*3\r\n$7\r\nPUBLISH\r\n$" + std::to_string(o.pub.path.size()) + "\r\n" + o.pub.path + "\r\n$" + len +
                  "\r\n";
        suffix_ = "\r\n";
    }
    return true;
}

namespace {

// MQTT's variable-length "remaining length".
void mqtt_length(std::string& out, std::size_t n) {
    do {
        char byte = static_cast<char>(n % 128);
        n /= 128;
        if (n > 0) byte = static_cast<char>(byte | 0x80);
        out += byte;
    } while (n > 0);
}

void mqtt_string(std::string& out, std::string_view s) {
    out += static_cast<char>(s.size() >> 8);
    out += static_cast<char>(s.size() & 0xff);
    out += s;
}

}  // namespace

// MQTT 3.1.1 by hand, as Redis and HTTP are: a blocking CONNECT and CONNACK
// (clean session, no keepalive), then every message one QoS 0 PUBLISH.
bool publisher::mqtt_open(const options& o, std::string& err) {
    std::string body;
    mqtt_string(body, "MQTT");
    body += '\x04';                  // 3.1.1
    body += '\x02';                  // clean session
    body += std::string("\0\0", 2);  // keepalive 0: none
    mqtt_string(body, "araldo-loadgen");
    std::string connect("\x10");
    mqtt_length(connect, body.size());
    connect += body;
    char ack[4] = {};
    std::size_t got = 0;
    if (write_all(fd_, tls_, connect)) {
        while (got < sizeof ack) {
            const long n = read_some(fd_, tls_, ack + got, sizeof ack - got);
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
    }
    if (got < sizeof ack || ack[0] != '\x20' || ack[3] != 0) {
        err = "MQTT broker " + o.pub.host + ":" + std::to_string(o.pub.port) + " did not accept the connection";
        close(fd_);
        fd_ = -1;
        return false;
    }
    set_nonblocking(fd_);
    prefix_.assign(1, '\x30');  // not = "\x30": g++ 12 -Wrestrict false positive in Release
    mqtt_length(prefix_, 2 + o.pub.path.size() + size_);
    mqtt_string(prefix_, o.pub.path);
    return true;
}

void publisher::append(std::uint64_t seq, std::uint64_t stamp_ns, std::uint32_t folder) {
    if (folder == no_folder) {
        out_ += prefix_;
    } else {
        out_ += head_;
        out_ += via_ == folder_via::subscribe ? "?folder=" : "/";
        out_ += via_ == folder_via::subscribe ? folder_name(folder) : nchan_channel_name(folder);
        out_ += tail_;
    }
    const std::size_t at = out_.size();
    out_.resize(at + size_);
    write_payload(out_.data() + at, size_, seq, stamp_ns);
    out_ += suffix_;
    if (kind_ == publish_kind::http || kind_ == publish_kind::redis) ++in_flight_;
}

// Bytes written, 0 when the socket is full, -1 when the connection failed.
long publisher::send_some(const char* p, std::size_t n) {
    if (tls_) {
        const long r = tls_.write(p, n);
        if (r == tls_conn::would_block) return 0;
        if (r <= 0) fail("publish write: " + tls_.error());
        return r > 0 ? r : -1;
    }
    const ssize_t r = write(fd_, p, n);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (r <= 0) fail(std::string("publish write: ") + std::strerror(errno));
    return r > 0 ? r : -1;
}

bool publisher::flush() {
    while (off_ < out_.size()) {
        const long n = send_some(out_.data() + off_, out_.size() - off_);
        if (n == 0) break;
        if (n < 0) return false;
        off_ += static_cast<std::size_t>(n);
    }
    if (off_ == out_.size()) {
        out_.clear();
        off_ = 0;
    }
    return true;
}

void publisher::fail(std::string what) {
    last_error_ = std::move(what);
    ++errors_;
}

// Nothing is routed back to a WebSocket publisher, but TLS has its own records
// (session tickets) for OpenSSL to take.
bool publisher::drain_tls() {
    char buf[16384];
    for (;;) {
        const long n = tls_.read(buf, sizeof buf);
        if (n == tls_conn::would_block) return true;
        if (n <= 0) {
            fail(n == 0 ? std::string("publisher connection closed by the relay") : "publish read: " + tls_.error());
            return false;
        }
    }
}

bool publisher::on_readable() {
    if (tls_) return drain_tls();
    char buf[65536];
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (n <= 0) {
        fail(n == 0 ? "publisher connection closed by the relay"
                    : std::string("publish read: ") + std::strerror(errno));
        return false;
    }
    // Nothing is routed back to a WebSocket publisher; QoS 0 has no acknowledgement.
    if (kind_ == publish_kind::ws || kind_ == publish_kind::mqtt) return true;
    in_.append(buf, static_cast<std::size_t>(n));
    return kind_ == publish_kind::http ? parse_http() : parse_redis();
}

bool publisher::parse_http() {
    for (;;) {
        const std::size_t end = in_.find("\r\n\r\n");
        if (end == std::string::npos) return true;
        const std::string_view head(in_.data(), end + 2);
        std::size_t body = 0;
        const auto cl = http_header(head, "Content-Length");
        if (!cl.empty()) {
            body = std::strtoul(std::string(cl).c_str(), nullptr, 10);
        } else if (!http_header(head, "Transfer-Encoding").empty()) {
            // chunked: wait for the terminating chunk, then drop the whole reply
            const std::size_t last = in_.find("\r\n0\r\n\r\n", end);
            if (last == std::string::npos) return true;
            body = last + 7 - (end + 4);
        }
        if (in_.size() < end + 4 + body) return true;
        const bool ok = head.size() > 12 && head.substr(0, 5) == "HTTP/" && head[9] == '2';
        if (ok) ++ok_;
        else fail("publish refused: " + std::string(head.substr(0, head.find("\r\n"))));
        if (in_flight_ > 0) --in_flight_;
        if (replies_ != nullptr) replies_->push_back(in_.substr(end + 4, body));
        in_.erase(0, end + 4 + body);
    }
}

bool publisher::parse_redis() {
    for (;;) {
        const std::size_t end = in_.find("\r\n");
        if (end == std::string::npos) return true;
        if (in_[0] == ':') ++ok_;
        else fail("redis replied " + in_.substr(0, end));
        if (in_flight_ > 0) --in_flight_;
        in_.erase(0, end + 2);
    }
}

}  // namespace araldo::bench
