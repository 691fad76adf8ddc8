// The kernel's software receive timestamp (SO_TIMESTAMPING) of a recvmsg().
#pragma once

#include <linux/errqueue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <cstring>

namespace araldo::bench {

// CLOCK_REALTIME nanoseconds when the newest of the bytes read reached the socket; 0: none.
inline std::uint64_t rx_stamp_wall_ns(const msghdr& msg) {
    for (auto* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPING) continue;
        scm_timestamping stamp{};
        std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
        const auto& ts = stamp.ts[0];
        return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
    }
    return 0;
}

// recvmsg() of up to `len` bytes into `out`; `stamp` gets the receive
// timestamp when the kernel gave one (left as it was otherwise).
inline ssize_t recv_stamped(int fd, void* out, std::size_t len, std::uint64_t& stamp) {
    iovec iov{out, len};
    alignas(cmsghdr) char control[256];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(fd, &msg, 0);
    if (n > 0)
        if (const std::uint64_t t = rx_stamp_wall_ns(msg); t != 0) stamp = t;
    return n;
}

}  // namespace araldo::bench
