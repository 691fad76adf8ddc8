#include "file_channel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>
#include <cerrno>
#include <system_error>

namespace araldo::plugins::endpoint_file {

namespace {

// Batches of iovecs per writev(); well under IOV_MAX (1024 on Linux).
constexpr int iov_batch = 256;

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// Whether epoll accepts the descriptor: the reactor's own test, asked directly.
bool pollable(int fd, file_direction dir) {
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) throw_errno("epoll_create1");
    epoll_event ev{};
    ev.events = dir == file_direction::read ? EPOLLIN : EPOLLOUT;
    int rc = ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    int err = errno;
    ::close(ep);
    if (rc == 0) return true;
    if (err == EPERM) return false;
    errno = err;
    throw_errno("epoll_ctl");
}

struct opened {
    int fd = -1;
    int restore_flags = -1;
};

// stdin or stdout. A pipe or tty is reopened through /proc so the reactor's
// O_NONBLOCK lands on a file description of our own: fds 0-2 often share one
// (a terminal), and a non-blocking stderr would lose log lines. Where reopening
// is impossible (a socket), a dup is used and its flags are restored at close.
opened open_std(file_direction dir) {
    const int std_fd = dir == file_direction::read ? STDIN_FILENO : STDOUT_FILENO;
    struct stat st {};
    if (::fstat(std_fd, &st) != 0) throw_errno("fstat");
    if (!S_ISREG(st.st_mode)) {
        std::string proc = "/proc/self/fd/" + std::to_string(std_fd);
        int mode = dir == file_direction::read ? O_RDONLY : O_WRONLY;
        int fd = ::open(proc.c_str(), mode | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0) return {fd, -1};
    }
    // A regular file is shared as is: its offset is the shell's redirection's.
    int fd = ::fcntl(std_fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) throw_errno("dup");
    return {fd, S_ISREG(st.st_mode) ? -1 : ::fcntl(fd, F_GETFL)};
}

opened open_path(const std::string& path, file_direction dir) {
    int flags = O_CLOEXEC | O_NONBLOCK;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) {
        flags |= O_RDWR;
    } else if (dir == file_direction::read) {
        flags |= O_RDONLY;
    } else {
        flags |= O_WRONLY | O_CREAT | O_APPEND;
    }
    int fd = ::open(path.c_str(), flags, 0666);
    if (fd < 0) throw_errno("open");
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        errno = EISDIR;
        throw_errno("open");
    }
    return {fd, -1};
}

}  // namespace

file_channel::file_channel(const asio::any_io_executor& ex, const std::string& path, file_direction dir) {
    const bool std_stream = path == "-";
    name_ = std_stream ? (dir == file_direction::read ? "stdin" : "stdout") : path;
    opened o = std_stream ? open_std(dir) : open_path(path, dir);
    try {
        struct stat st {};
        if (::fstat(o.fd, &st) != 0) throw_errno("fstat");
        if (!S_ISREG(st.st_mode) && pollable(o.fd, dir)) {
            terminal_ = dir == file_direction::read && ::isatty(o.fd) == 1;
            if (terminal_) terminal_fd_ = o.fd;
            // read_terminal() calls read() itself: a dup of a shared stdin must not block.
            if (terminal_ && ::fcntl(o.fd, F_SETFL, ::fcntl(o.fd, F_GETFL) | O_NONBLOCK) != 0) throw_errno("fcntl");
            stream_.emplace(ex, o.fd);
            restore_flags_ = o.restore_flags;
            return;
        }
    } catch (...) {
        ::close(o.fd);
        throw;
    }
    fd_ = o.fd;
}

file_channel::~file_channel() {
    if (stream_) {
        int fd = stream_->release();
        if (restore_flags_ >= 0) ::fcntl(fd, F_SETFL, restore_flags_);
        ::close(fd);
    } else if (fd_ >= 0) {
        ::close(fd_);
    }
}

void file_channel::cancel() noexcept {
    cancelled_ = true;
    if (stream_) {
        error_code ignored;
        stream_->cancel(ignored);
    }
}

bool file_channel::terminal_in_background() const noexcept {
    if (!terminal_) return false;
    // -1 (ENOTTY): a terminal that is not our controlling one, which job
    // control does not guard; reading it stops nobody.
    const pid_t foreground = ::tcgetpgrp(terminal_fd_);
    return foreground != -1 && foreground != ::getpgrp();
}

asio::awaitable<std::pair<error_code, std::size_t>> file_channel::read_some(asio::mutable_buffer buf) {
    if (terminal_) co_return co_await read_terminal(buf);
    if (stream_) {
        auto [ec, n] = co_await stream_->async_read_some(buf, asio::as_tuple(asio::use_awaitable));
        co_return std::pair{ec, n};
    }
    // read() on a regular file does not wait for more than the disk; yielding
    // first lets everything else run between two chunks.
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    if (cancelled_) co_return std::pair{error_code(asio::error::operation_aborted), std::size_t{0}};
    for (;;) {
        ssize_t n = ::read(fd_, buf.data(), buf.size());
        if (n > 0) co_return std::pair{error_code{}, static_cast<std::size_t>(n)};
        if (n == 0) co_return std::pair{error_code(asio::error::eof), std::size_t{0}};
        if (errno == EINTR) continue;
        co_return std::pair{error_code(errno, boost::system::system_category()), std::size_t{0}};
    }
}

// A terminal is read by hand rather than with async_read_some, whose first
// read() is speculative: the foreground check must come right before every
// read(), and a wait for input must not read when it completes.
asio::awaitable<std::pair<error_code, std::size_t>> file_channel::read_terminal(asio::mutable_buffer buf) {
    for (;;) {
        if (terminal_in_background()) co_return std::pair{error_code(asio::error::try_again), std::size_t{0}};
        const ssize_t n = ::read(terminal_fd_, buf.data(), buf.size());
        if (n > 0) co_return std::pair{error_code{}, static_cast<std::size_t>(n)};
        if (n == 0) co_return std::pair{error_code(asio::error::eof), std::size_t{0}};
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            co_return std::pair{error_code(errno, boost::system::system_category()), std::size_t{0}};
        auto [ec] = co_await stream_->async_wait(asio::posix::stream_descriptor::wait_read,
                                                 asio::as_tuple(asio::use_awaitable));
        if (ec) co_return std::pair{ec, std::size_t{0}};
    }
}

asio::awaitable<error_code> file_channel::write_all(const std::vector<asio::const_buffer>& buffers) {
    if (stream_) {
        auto [ec, n] = co_await asio::async_write(*stream_, buffers, asio::as_tuple(asio::use_awaitable));
        co_return ec;
    }
    co_return write_plain(buffers);
}

// writev() in batches, resuming after partial writes (a full disk, a signal).
error_code file_channel::write_plain(const std::vector<asio::const_buffer>& buffers) {
    std::size_t first = 0;  // the first buffer not completely written
    std::size_t done = 0;   // bytes of it already written
    while (first < buffers.size()) {
        iovec iov[iov_batch];
        int count = 0;
        for (std::size_t k = first; k < buffers.size() && count < iov_batch; ++k, ++count) {
            std::size_t skip = k == first ? done : 0;
            iov[count].iov_base = const_cast<char*>(static_cast<const char*>(buffers[k].data()) + skip);
            iov[count].iov_len = buffers[k].size() - skip;
        }
        ssize_t n = ::writev(fd_, iov, count);
        if (n < 0) {
            if (errno == EINTR) continue;
            return error_code(errno, boost::system::system_category());
        }
        auto left = static_cast<std::size_t>(n);
        while (first < buffers.size() && left >= buffers[first].size() - done) {
            left -= buffers[first].size() - done;
            ++first;
            done = 0;
        }
        done += left;
    }
    return {};
}

}  // namespace araldo::plugins::endpoint_file
