// A child process for integration tests: the real araldo binary, started
// with arguments and environment, stdout/stderr captured to files, stopped by pid.
#pragma once

#include <sys/types.h>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace araldo::test {

class child_process {
public:
    struct spec {
        std::vector<std::string> argv;                         // argv[0] is the program
        std::vector<std::pair<std::string, std::string>> env;  // added to the environment
        std::string work_dir;                                  // empty: the current one
        bool pipe_stdin = false;                               // else /dev/null
        std::string output_dir;                                // where stdout/stderr files go
    };

    explicit child_process(spec s);
    ~child_process();  // SIGKILLs the child if it is still running
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const { return pid_; }
    void write_stdin(const std::string& data);
    void close_stdin();
    void signal(int signo);

    // The exit code (or 128 + signal), or nullopt if it did not exit in time.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    bool running();

    std::string out() const;  // everything written to stdout so far
    std::string err() const;  // everything written to stderr so far

    // Waits until stderr contains `needle`; false on timeout or if the child exited.
    bool wait_for_err(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    std::optional<int> status_;
    std::string out_path_, err_path_;
};

// Runs to completion: {exit code, stdout, stderr}.
struct run_result {
    int code = -1;
    std::string out;
    std::string err;
};
run_result run_command(const std::vector<std::string>& argv, const std::string& output_dir,
                       std::vector<std::pair<std::string, std::string>> env = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Polls `done` until true or the timeout; for conditions with no event to wait on.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A loopback TCP port nothing listens on right now.
unsigned short free_port();

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);

}  // namespace araldo::test
