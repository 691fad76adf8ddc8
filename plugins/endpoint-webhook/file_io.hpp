// Small blocking file helpers shared by the stores and the writer thread.
// Every function throws std::system_error (or std::filesystem_error) on an
// I/O error; none of them keeps state.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

namespace fs = std::filesystem;

[[noreturn]] void throw_errno(const std::string& what);

void write_all(int fd, std::string_view data, const fs::path& path);
// Written whole or not at all: a temp file, fdatasync, rename over the target,
// then the folder synced so the rename itself survives a power loss.
void write_file_atomic(const fs::path& path, std::string_view text);
void sync_dir(const fs::path& dir);
// The whole file; empty when it does not exist.
std::string read_text(const fs::path& path);

// The lines of a file, without their '\n'. A last line without '\n' is a
// write the process did not finish (a crash): it comes back as `torn`.
struct text_lines {
    std::vector<std::string_view> lines;
    std::string_view torn;
};
text_lines split_lines(std::string_view text);

// Appends raw records to <dir>/quarantine/<name>, synced: records are moved
// there, never deleted, when they cannot be read back.
void quarantine(const fs::path& endpoint_dir, const std::string& name, const std::vector<std::string_view>& records);

// An open file descriptor, closed by the last owner (the loop or the writer
// thread, whichever lets go last).
class file_handle {
public:
    explicit file_handle(int fd) : fd_(fd) {}
    ~file_handle();
    file_handle(const file_handle&) = delete;
    file_handle& operator=(const file_handle&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

}  // namespace araldo::plugins::endpoint_webhook
