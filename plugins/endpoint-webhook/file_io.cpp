#include "file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

namespace araldo::plugins::endpoint_webhook {

void throw_errno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

void write_all(int fd, std::string_view data, const fs::path& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("writing " + path.string());
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void sync_dir(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("opening " + dir.string());
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    errno = saved;
    if (rc != 0) throw_errno("syncing " + dir.string());
}

void write_file_atomic(const fs::path& path, std::string_view text) {
    fs::create_directories(path.parent_path());
    fs::path tmp = path;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw_errno("creating " + tmp.string());
    file_handle guard(fd);
    write_all(fd, text, tmp);
    if (::fdatasync(fd) != 0) throw_errno("syncing " + tmp.string());
    fs::rename(tmp, path);
    sync_dir(path.parent_path());
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

text_lines split_lines(std::string_view text) {
    text_lines out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) {
            out.torn = text.substr(start);
            break;
        }
        if (end > start) out.lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

void quarantine(const fs::path& endpoint_dir, const std::string& name, const std::vector<std::string_view>& records) {
    if (records.empty()) return;
    fs::path dir = endpoint_dir / "quarantine";
    fs::create_directories(dir);
    fs::path path = dir / name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw_errno("opening " + path.string());
    file_handle guard(fd);
    std::string text;
    for (auto r : records) {
        text.append(r);
        text.push_back('\n');
    }
    write_all(fd, text, path);
    if (::fdatasync(fd) != 0) throw_errno("syncing " + path.string());
}

file_handle::~file_handle() {
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace araldo::plugins::endpoint_webhook
