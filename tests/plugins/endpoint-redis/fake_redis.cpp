#include "fake_redis.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace araldo::test {

fake_redis::fake_redis(behaviour b) : b_(std::move(b)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0) throw std::runtime_error("fake_redis: socket failed");
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(b_.port);
    socklen_t len = sizeof addr;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        std::string why = std::strerror(errno);
        ::close(listener_);
        throw std::runtime_error("fake_redis: cannot listen on port " + std::to_string(b_.port) + ": " + why);
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
}

fake_redis::~fake_redis() {
    stopping_ = true;
    thread_.join();
    ::close(listener_);
}

std::vector<std::chrono::steady_clock::time_point> fake_redis::accepted_at() const {
    std::lock_guard lock(mutex_);
    return accepted_at_;
}

std::string fake_redis::received(std::size_t i) const {
    std::lock_guard lock(mutex_);
    return i < received_.size() ? received_[i] : std::string();
}

// Polls in short steps so the destructor is never kept waiting on a peer.
bool fake_redis::wait_fd(int fd, short events) {
    while (!stopping_) {
        pollfd p{fd, events, 0};
        if (::poll(&p, 1, 50) > 0) return true;
    }
    return false;
}

void fake_redis::serve() {
    while (wait_fd(listener_, POLLIN)) {
        int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        {
            std::lock_guard lock(mutex_);
            accepted_at_.push_back(std::chrono::steady_clock::now());
            received_.emplace_back();
        }
        ++connections_;
        converse(fd);
        ::close(fd);
    }
}

void fake_redis::converse(int fd) {
    if (b_.replies.empty()) {
        // Read what araldo sent before closing: unread data would turn the
        // close into a reset, and the failure araldo sees would vary.
        read_some(fd);
        return;
    }
    for (const auto& reply : b_.replies) {
        // Answer araldo's next command(s), as a server would.
        if (!read_some(fd) || !send_all(fd, reply, false)) return;
    }
    if (!send_all(fd, std::string(64 * 1024, 'x'), true)) return;
    // Hold the connection until araldo drops it.
    while (read_some(fd)) {}
}

bool fake_redis::read_some(int fd) {
    char in[4096];
    for (;;) {
        if (!wait_fd(fd, POLLIN)) return false;
        ssize_t n = ::recv(fd, in, sizeof in, MSG_DONTWAIT);
        if (n > 0) {
            std::lock_guard lock(mutex_);
            received_.back().append(in, static_cast<std::size_t>(n));
            return true;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) return false;
    }
}

// Writes `bytes`, or with `filler` writes them over and over up to
// behaviour::filler bytes in all. False when araldo closed the connection.
bool fake_redis::send_all(int fd, const std::string& bytes, bool filler) {
    std::uint64_t left = filler ? b_.filler : bytes.size();
    std::size_t at = 0;
    while (left > 0) {
        if (!wait_fd(fd, POLLOUT)) return false;
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size() - at, left));
        ssize_t n = ::send(fd, bytes.data() + at, want, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) return false;
        const auto sent = static_cast<std::size_t>(n);
        left -= sent;
        at = (at + sent) % bytes.size();
        if (filler) filler_sent_ += sent;
    }
    return true;
}

std::uint64_t resident_bytes(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "VmRSS:   1234 kB"
    }
    throw std::runtime_error("no VmRSS for pid " + std::to_string(pid));
}

double cpu_seconds(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    auto close = text.rfind(')');
    if (close == std::string::npos) throw std::runtime_error("no /proc stat for pid " + std::to_string(pid));
    std::istringstream rest(text.substr(close + 2));
    std::vector<std::string> fields;  // fields[0] is field 3 (state)
    for (std::string f; rest >> f;) fields.push_back(f);
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return (std::stod(fields.at(11)) + std::stod(fields.at(12))) / ticks;  // utime (14) + stime (15)
}

}  // namespace araldo::test
