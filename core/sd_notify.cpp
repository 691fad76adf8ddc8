#include "sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace araldo::detail {

std::string sd_notify(std::string_view state) {
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path || !*path) return {};
    const std::size_t len = std::strlen(path);
    // Only a path or an abstract name (systemd also accepts vsock:, which a
    // relay under systemd on the same host never gets).
    if ((path[0] != '/' && path[0] != '@') || len < 2 || len >= sizeof(sockaddr_un::sun_path))
        return "NOTIFY_SOCKET=" + std::string(path) + " is not a unix socket path";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path, len);
    if (path[0] == '@') addr.sun_path[0] = '\0';  // abstract: the name is not NUL-terminated
    const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::string("socket: ") + std::strerror(errno);
    const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                                  reinterpret_cast<const sockaddr*>(&addr), addr_len);
    const int err = errno;
    ::close(fd);
    if (sent < 0) return std::string("sendto ") + path + ": " + std::strerror(err);
    return {};
}

}  // namespace araldo::detail
