// reference-relay: the smallest WebSocket fan-out relay that does the job, as the
// ceiling araldo is measured against. One thread, epoll, level-triggered. Each
// message becomes one refcounted frame shared by every subscriber; after each
// batch of events every subscriber with pending frames gets one writev().
//
//   reference-relay [--port P] [--pub /pub] [--sub /sub] [--redis HOST:PORT/CHANNEL]
//
// POST <pub> (Content-Length body) -> 202 and the body to every subscriber.
// GET <sub> with an upgrade -> a subscriber; its text/binary frames go to the others.
// --redis: SUBSCRIBE to a channel, every message to every subscriber.
#include "../common/ws_wire.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace araldo::bench;

struct frame {
    std::uint32_t refs;
    std::uint32_t len;
    char data[1];
};

frame* make_frame(std::size_t len) {
    auto* f = static_cast<frame*>(std::malloc(sizeof(frame) + len));
    f->refs = 0;
    f->len = static_cast<std::uint32_t>(len);
    return f;
}

void release(frame* f) {
    if (--f->refs == 0) std::free(f);
}

enum class kind : std::uint8_t { http, subscriber, redis };

struct conn {
    int fd = -1;
    kind k = kind::http;
    bool dirty = false;     // frames queued since the last flush
    bool blocked = false;   // waiting for EPOLLOUT
    std::uint32_t off = 0;  // bytes of q[head] already written
    std::size_t head = 0;
    std::vector<frame*> q;
    std::string in;
};

constexpr std::size_t max_queue = 1 << 16;  // frames; a subscriber further behind is dropped

int ep = -1;
std::string pub_path = "/pub", sub_path = "/sub";
std::vector<conn*> conns;      // by fd
std::vector<int> subscribers;  // fds
std::vector<int> dirty;
volatile sig_atomic_t stopping = 0;

void drop(conn* c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
    close(c->fd);
    for (std::size_t i = c->head; i < c->q.size(); ++i) release(c->q[i]);
    if (c->k == kind::subscriber) {
        for (auto& fd : subscribers) {
            if (fd != c->fd) continue;
            fd = subscribers.back();
            subscribers.pop_back();
            break;
        }
    }
    conns[static_cast<std::size_t>(c->fd)] = nullptr;
    delete c;
}

void enqueue(conn* c, frame* f) {
    ++f->refs;
    c->q.push_back(f);
    if (!c->dirty) {
        c->dirty = true;
        dirty.push_back(c->fd);
    }
}

void watch(conn* c, bool out) {
    if (c->blocked == out) return;
    c->blocked = out;
    epoll_event ev{};
    ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
    ev.data.fd = c->fd;
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

// One writev of everything queued (up to IOV_MAX frames). False: dropped.
bool flush(conn* c) {
    iovec iov[1024];
    while (c->head < c->q.size()) {
        int n = 0;
        for (std::size_t i = c->head; i < c->q.size() && n < 1024; ++i, ++n) {
            const std::uint32_t skip = i == c->head ? c->off : 0;
            iov[n].iov_base = c->q[i]->data + skip;
            iov[n].iov_len = c->q[i]->len - skip;
        }
        ssize_t w = writev(c->fd, iov, n);
        if (w < 0 && errno == EAGAIN) break;
        if (w <= 0) {
            drop(c);
            return false;
        }
        auto left = static_cast<std::size_t>(w);
        while (left > 0) {
            frame* f = c->q[c->head];
            const std::size_t rest = f->len - c->off;
            if (left < rest) {
                c->off += static_cast<std::uint32_t>(left);
                break;
            }
            left -= rest;
            c->off = 0;
            release(f);
            ++c->head;
        }
        if (n == 1024 && c->head < c->q.size()) continue;
        break;
    }
    if (c->head == c->q.size()) {
        c->q.clear();
        c->head = 0;
        if (c->q.capacity() > 64) c->q.shrink_to_fit();
    }
    watch(c, c->head < c->q.size());
    return true;
}

void broadcast(const char* payload, std::size_t len, int except) {
    std::string header;
    ws_append_header(header, ws_opcode::text, len, false);
    frame* f = make_frame(header.size() + len);
    std::memcpy(f->data, header.data(), header.size());
    std::memcpy(f->data + header.size(), payload, len);
    f->refs = 1;  // held while queuing, so a drop below cannot free it
    for (std::size_t i = 0; i < subscribers.size(); ++i) {
        const int fd = subscribers[i];
        if (fd == except) continue;
        conn* c = conns[static_cast<std::size_t>(fd)];
        if (c->q.size() - c->head >= max_queue) {
            std::fprintf(stderr, "reference-relay: subscriber %d is too slow, dropped\n", fd);
            drop(c);
            --i;
            continue;
        }
        enqueue(c, f);
    }
    release(f);
}

void reply(conn* c, const std::string& text) {
    frame* f = make_frame(text.size());
    std::memcpy(f->data, text.data(), text.size());
    enqueue(c, f);
}

// Consumes complete requests; false when the connection must close.
bool on_http(conn* c) {
    for (;;) {
        const std::size_t end = c->in.find("\r\n\r\n");
        if (end == std::string::npos) return c->in.size() < 65536;
        const std::string_view head(c->in.data(), end + 2);
        const std::size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
        if (sp1 == head.npos || sp2 == head.npos) return false;
        const std::string_view method = head.substr(0, sp1), path = head.substr(sp1 + 1, sp2 - sp1 - 1);
        if (method == "GET" && path == sub_path && !http_header(head, "Sec-WebSocket-Key").empty()) {
            reply(c,
                  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Accept: " +
                      ws_accept_key(http_header(head, "Sec-WebSocket-Key")) + "\r\n\r\n");
            c->in.erase(0, end + 4);
            c->k = kind::subscriber;
            subscribers.push_back(c->fd);
            c->in.shrink_to_fit();
            return true;
        }
        const std::size_t body = std::strtoul(std::string(http_header(head, "Content-Length")).c_str(), nullptr, 10);
        if (c->in.size() < end + 4 + body) return true;
        if (method == "POST" && path == pub_path) {
            broadcast(c->in.data() + end + 4, body, -1);
            reply(c, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
        } else {
            reply(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
        c->in.erase(0, end + 4 + body);
    }
}

// Frames from a subscriber: data is relayed to the others (WebSocket publisher mode).
bool on_ws(conn* c) {
    std::size_t pos = 0;
    ws_frame_view f;
    while (ws_parse_frame(c->in.data() + pos, c->in.size() - pos, f)) {
        char* payload = c->in.data() + (f.payload - c->in.data());
        if (f.masked) ws_unmask(payload, f.length, f.mask);
        if (f.opcode == 8) return false;
        if (f.opcode == 1 || f.opcode == 2) broadcast(payload, f.length, c->fd);
        if (f.opcode == 9) {
            std::string pong;
            ws_append_header(pong, ws_opcode::pong, f.length, false);
            reply(c, pong.append(payload, f.length));
        }
        pos += f.total;
    }
    c->in.erase(0, pos);
    return true;
}

// RESP pushes from SUBSCRIBE: *3 $7 message $<n> channel $<n> payload.
bool on_redis(conn* c) {
    std::size_t pos = 0;
    for (;;) {
        std::size_t p = pos;
        if (p >= c->in.size()) break;
        if (c->in[p] != '*') return false;
        std::size_t eol = c->in.find("\r\n", p);
        if (eol == std::string::npos) break;
        const long count = std::strtol(c->in.c_str() + p + 1, nullptr, 10);
        p = eol + 2;
        std::vector<std::string_view> items;
        bool complete = true;
        for (long i = 0; i < count && complete; ++i) {
            eol = c->in.find("\r\n", p);
            if (eol == std::string::npos) {
                complete = false;
                break;
            }
            if (c->in[p] == ':') {
                items.emplace_back(c->in.data() + p + 1, eol - p - 1);
                p = eol + 2;
                continue;
            }
            const std::size_t len = std::strtoul(c->in.c_str() + p + 1, nullptr, 10);
            if (c->in.size() < eol + 2 + len + 2) {
                complete = false;
                break;
            }
            items.emplace_back(c->in.data() + eol + 2, len);
            p = eol + 2 + len + 2;
        }
        if (!complete) break;
        if (items.size() == 3 && items[0] == "message") broadcast(items[2].data(), items[2].size(), -1);
        pos = p;
    }
    c->in.erase(0, pos);
    return true;
}

conn* add(int fd, kind k) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (conns.size() <= static_cast<std::size_t>(fd)) conns.resize(static_cast<std::size_t>(fd) * 2 + 16, nullptr);
    auto* c = new conn;
    c->fd = fd;
    c->k = k;
    conns[static_cast<std::size_t>(fd)] = c;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return c;
}

void on_readable(conn* c) {
    char buf[65536];
    const ssize_t n = read(c->fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        drop(c);
        return;
    }
    c->in.append(buf, static_cast<std::size_t>(n));
    const bool ok = c->k == kind::http ? on_http(c) : c->k == kind::subscriber ? on_ws(c) : on_redis(c);
    if (!ok) drop(c);
}

int listen_on(std::uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 4096) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        std::perror("reference-relay: listen");
        std::exit(1);
    }
    std::printf("reference-relay listening on 127.0.0.1:%u\n", ntohs(a.sin_port));
    std::fflush(stdout);
    return fd;
}

void subscribe_redis(const std::string& spec) {
    const std::size_t colon = spec.find(':'), slash = spec.find('/');
    if (colon == std::string::npos || slash == std::string::npos) {
        std::fprintf(stderr, "reference-relay: --redis HOST:PORT/CHANNEL\n");
        std::exit(2);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(spec.substr(colon + 1, slash - colon - 1))));
    inet_pton(AF_INET, spec.substr(0, colon).c_str(), &a.sin_addr);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        std::perror("reference-relay: redis");
        std::exit(1);
    }
    const std::string channel = spec.substr(slash + 1);
    const std::string cmd = "*2\r\n$9\r\nSUBSCRIBE\r\n$" + std::to_string(channel.size()) + "\r\n" + channel + "\r\n";
    if (write(fd, cmd.data(), cmd.size()) != static_cast<ssize_t>(cmd.size())) std::exit(1);
    add(fd, kind::redis);
}

}  // namespace

int main(int argc, char** argv) {
    std::uint16_t port = 0;
    std::string redis;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--port") port = static_cast<std::uint16_t>(std::atoi(argv[i + 1]));
        else if (a == "--pub") pub_path = argv[i + 1];
        else if (a == "--sub") sub_path = argv[i + 1];
        else if (a == "--redis") redis = argv[i + 1];
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa {};
    sa.sa_handler = [](int) { stopping = 1; };
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    ep = epoll_create1(EPOLL_CLOEXEC);
    const int lfd = listen_on(port);
    epoll_event lev{};
    lev.events = EPOLLIN;
    lev.data.fd = lfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
    if (!redis.empty()) subscribe_redis(redis);
    std::vector<epoll_event> events(1024);
    while (!stopping) {
        const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
        for (int i = 0; i < n; ++i) {
            const int fd = events[static_cast<std::size_t>(i)].data.fd;
            if (fd == lfd) {
                for (int cfd; (cfd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) add(cfd, kind::http);
                continue;
            }
            conn* c = conns[static_cast<std::size_t>(fd)];
            if (c == nullptr) continue;
            if ((events[static_cast<std::size_t>(i)].events & EPOLLOUT) != 0 && !flush(c)) continue;
            if ((events[static_cast<std::size_t>(i)].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) on_readable(c);
        }
        // The batch is over: one gather write per client with something pending.
        for (std::size_t i = 0; i < dirty.size(); ++i) {
            conn* c = conns[static_cast<std::size_t>(dirty[i])];
            if (c == nullptr || !c->dirty) continue;
            c->dirty = false;
            if (!c->blocked) flush(c);
        }
        dirty.clear();
    }
    for (conn* c : conns)
        if (c != nullptr) drop(c);
    close(lfd);
    close(ep);
    return 0;
}
