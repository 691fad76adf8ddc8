// A TCP listener on 127.0.0.1 that stands where Redis should be, for the
// fault tests: it counts and timestamps the connections araldo makes, and
// either closes each after reading araldo's first commands (a server going
// away: araldo sees the connection closed, every time) or answers each read of
// araldo's commands with the next scripted reply, the last one optionally
// followed by a stream of filler (a hostile or broken server). One thread, one
// connection at a time: the tests point an endpoint with one link at it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace araldo::test {

class fake_redis {
public:
    struct behaviour {
        unsigned short port = 0;  // 0: a free one; else this one (SO_REUSEADDR, to take over from a killed Redis)
        // One per read of araldo's commands, in order; none: close each
        // connection after its first read.
        std::vector<std::string> replies;
        // Bytes written after the last reply until the peer closes: what a
        // server that declared a huge bulk string would go on to send.
        std::uint64_t filler = 0;
    };

    explicit fake_redis(behaviour b);
    ~fake_redis();  // stops the thread and closes the listener
    fake_redis(const fake_redis&) = delete;
    fake_redis& operator=(const fake_redis&) = delete;

    unsigned short port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
    std::size_t connections() const { return connections_.load(); }
    // When each connection was accepted, in order.
    std::vector<std::chrono::steady_clock::time_point> accepted_at() const;
    // Everything connection `i` (from 0) sent, as far as it was read.
    std::string received(std::size_t i) const;
    // Filler bytes the peers took, over all connections.
    std::uint64_t filler_sent() const { return filler_sent_.load(); }

private:
    void serve();
    void converse(int fd);
    bool send_all(int fd, const std::string& bytes, bool filler);
    bool read_some(int fd);              // false when araldo closed the connection (or stopping)
    bool wait_fd(int fd, short events);  // false when stopping

    behaviour b_;
    int listener_ = -1;
    unsigned short port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> connections_{0};
    std::atomic<std::uint64_t> filler_sent_{0};
    mutable std::mutex mutex_;
    std::vector<std::chrono::steady_clock::time_point> accepted_at_;
    std::vector<std::string> received_;  // per connection
    std::thread thread_;
};

// From /proc/<pid>: the resident set (VmRSS) in bytes, and the CPU time
// (utime + stime) in seconds.
std::uint64_t resident_bytes(int pid);
double cpu_seconds(int pid);

}  // namespace araldo::test
