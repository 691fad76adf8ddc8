// The real araldo binary, started on a config written to a temp dir, with
// server-port 0 so the kernel picks a free port; the port is read from the log.
#pragma once

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <memory>
#include <string>
#include <vector>

namespace araldo::test {

class relay {
public:
    struct options {
        bool pipe_stdin = false;
        std::vector<std::string> extra_args{};
        std::vector<std::pair<std::string, std::string>> env{};
        bool wait_listening = true;
    };

    // `config` may use {DIR} for the temp dir.
    explicit relay(const std::string& config, options o);
    explicit relay(const std::string& config) : relay(config, options{}) {}

    child_process& process() { return *proc_; }
    const temp_dir& dir() const { return dir_; }
    unsigned short port() const { return port_; }
    std::string path(const std::string& name) const { return dir_ / name; }

private:
    temp_dir dir_;
    std::unique_ptr<child_process> proc_;
    unsigned short port_ = 0;
};

// Replaces every {DIR} in `text`.
std::string with_dir(std::string text, const std::string& dir);

}  // namespace araldo::test
