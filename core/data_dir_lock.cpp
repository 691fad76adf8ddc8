#include "data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace araldo::detail {
namespace {

namespace fs = std::filesystem;

std::string error_text(int err) { return std::strerror(err); }

// The pid the holder wrote, or "unknown" (it may be writing it right now).
std::string holder_of(int fd) {
    char buf[32] = {};
    const auto n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string_view text{buf, n > 0 ? static_cast<std::size_t>(n) : 0};
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    return text.empty() ? std::string("unknown") : std::string(text);
}

}  // namespace

data_dir_lock::data_dir_lock(const std::string& dir) : file_{(fs::path(dir) / "araldo.lock").string()} {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create data-dir " + dir + ": " + ec.message());
    fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open " + file_ + ": " + error_text(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        const std::string pid = err == EWOULDBLOCK ? holder_of(fd_) : std::string{};
        ::close(fd_);
        fd_ = -1;
        if (err == EWOULDBLOCK) {
            throw std::runtime_error("data-dir " + dir + " is in use by another araldo (pid " + pid + ", lock " +
                                     file_ + "); give each relay its own data-dir");
        }
        throw std::runtime_error("cannot lock " + file_ + ": " + error_text(err));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        // The lock holds without the pid; only the next one's message is poorer.
    }
}

data_dir_lock::~data_dir_lock() {
    // The file stays: removing it would let a third process lock a new file
    // while a second one still waits on the old one's descriptor.
    if (fd_ >= 0) ::close(fd_);
}

data_dir_lock::data_dir_lock(data_dir_lock&& other) noexcept : fd_{other.fd_}, file_{std::move(other.file_)} {
    other.fd_ = -1;
}

data_dir_lock& data_dir_lock::operator=(data_dir_lock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        file_ = std::move(other.file_);
        other.fd_ = -1;
    }
    return *this;
}

std::string data_dir_problem(const std::string& dir) {
    std::error_code ec;
    fs::path p{dir};
    // The nearest folder that exists decides: the relay would create the rest.
    while (!fs::exists(p, ec)) {
        if (!p.has_parent_path() || p.parent_path() == p) return "no existing parent folder";
        p = p.parent_path();
    }
    if (!fs::is_directory(p, ec)) return p.string() + " is not a folder";
    if (::access(p.c_str(), W_OK | X_OK) != 0) {
        return (p == fs::path(dir) ? "" : "cannot be created: ") + p.string() + " is not writable (" +
               error_text(errno) + ")";
    }
    if (p != fs::path(dir)) return {};
    // An existing data-dir: the lock file must be openable for writing too.
    const auto lock = p / "araldo.lock";
    if (fs::exists(lock, ec) && ::access(lock.c_str(), W_OK) != 0)
        return lock.string() + " is not writable (" + error_text(errno) + ")";
    return {};
}

}  // namespace araldo::detail
