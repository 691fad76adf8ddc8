#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace araldo::test {

std::string http_reply::header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
        if (k == name) return v;
    }
    return {};
}

std::string raw_exchange(unsigned short port, const std::string& bytes) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("connect to port " + std::to_string(port) + " failed");
    }
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server may refuse before reading everything
        sent += static_cast<std::size_t>(n);
    }
    std::string reply;
    char buf[16384];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        reply.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return reply;
}

http_reply http_request(unsigned short port, const std::string& method, const std::string& target,
                        const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT")
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    std::string raw = raw_exchange(port, req);
    http_reply r;
    auto head_end = raw.find("\r\n\r\n");
    if (raw.size() < 12 || head_end == std::string::npos) throw std::runtime_error("malformed reply: " + raw);
    r.status = std::stoi(raw.substr(9, 3));
    std::size_t pos = raw.find("\r\n") + 2;
    while (pos < head_end) {
        auto eol = raw.find("\r\n", pos);
        auto line = raw.substr(pos, eol - pos);
        auto colon = line.find(':');
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        r.headers.emplace_back(name, value);
        pos = eol + 2;
    }
    r.body = raw.substr(head_end + 4);
    if (r.header("transfer-encoding") == "chunked") {
        std::string decoded;
        std::size_t p = 0;
        while (p < r.body.size()) {
            auto eol = r.body.find("\r\n", p);
            std::size_t len = std::stoul(r.body.substr(p, eol - p), nullptr, 16);
            if (len == 0) break;
            decoded += r.body.substr(eol + 2, len);
            p = eol + 2 + len + 2;
        }
        r.body = decoded;
    }
    return r;
}

}  // namespace araldo::test
