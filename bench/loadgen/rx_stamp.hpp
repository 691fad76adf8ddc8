// The kernel's software receive timestamp (SO_TIMESTAMPING) of a recvmsg().
#pragma once

#include <linux/errqueue.h>
#include <sys/socket.h>

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

}  // namespace araldo::bench
