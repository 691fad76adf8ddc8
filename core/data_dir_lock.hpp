// One relay per data-dir: two relays on one folder would load the same spools
// and deliver every pending message twice, or rewrite each other's files.
//
// The lock is an flock() on <data-dir>/araldo.lock, held from before the
// listener binds until the process ends (the kernel releases it however the
// process ends, kill -9 included, so a stale file never blocks a restart).
// The file holds the holder's pid, for the message the next one prints.
#pragma once

#include <string>

namespace araldo::detail {

class data_dir_lock {
public:
    data_dir_lock() = default;
    // Creates `dir` if missing and takes the lock; throws std::runtime_error
    // naming the folder and the holder's pid when another process has it.
    explicit data_dir_lock(const std::string& dir);
    ~data_dir_lock();
    data_dir_lock(data_dir_lock&& other) noexcept;
    data_dir_lock& operator=(data_dir_lock&& other) noexcept;
    data_dir_lock(const data_dir_lock&) = delete;
    data_dir_lock& operator=(const data_dir_lock&) = delete;

    bool held() const noexcept { return fd_ >= 0; }
    const std::string& file() const noexcept { return file_; }

private:
    int fd_ = -1;
    std::string file_;
};

// For --check: an empty string when `dir` exists and is writable, or could be
// created (its nearest existing parent is a writable folder); otherwise why not.
std::string data_dir_problem(const std::string& dir);

}  // namespace araldo::detail
