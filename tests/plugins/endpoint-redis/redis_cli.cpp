#include "redis_cli.hpp"

#include "redis_server.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace araldo::test {

redis_cli::redis_cli(const redis_server& server) : dir_(server.pki().dir), port_(server.port()) {}

std::vector<std::string> redis_cli::argv(const std::vector<std::string>& args) const {
    const test_pki pki{dir_};
    std::vector<std::string> argv{"/usr/bin/redis-cli",
                                  "--tls",
                                  "--cacert",
                                  pki.file("ca.pem"),
                                  "--cert",
                                  pki.file("client.pem"),
                                  "--key",
                                  pki.file("client.key"),
                                  "-h",
                                  "127.0.0.1",
                                  "-p",
                                  std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

std::string redis_cli::command(const std::vector<std::string>& args) const {
    std::string out = run_command(argv(args), dir_).out;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

redis_cli_subscriber::redis_cli_subscriber(const redis_server& server, const std::vector<std::string>& channels) {
    std::vector<std::string> args{"SUBSCRIBE"};
    args.insert(args.end(), channels.begin(), channels.end());
    proc_ = std::make_unique<child_process>(
        child_process::spec{redis_cli(server).argv(args), {}, {}, false, server.pki().dir});
    // Each confirmation is three lines: "subscribe", the channel, the count.
    const bool confirmed = wait_until([&] {
        auto l = lines();
        return static_cast<std::size_t>(std::count(l.begin(), l.end(), "subscribe")) == channels.size();
    });
    if (!confirmed) throw std::runtime_error("redis-cli did not subscribe:\n" + proc_->out() + proc_->err());
}

// Complete lines only: redis-cli may be caught writing one.
std::vector<std::string> redis_cli_subscriber::lines() const {
    std::string out = proc_->out();
    out.erase(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
    std::istringstream in(out);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
}

// A message is three lines: "message", the channel, the payload.
std::vector<std::string> redis_cli_subscriber::payloads() const {
    const auto l = lines();
    std::vector<std::string> out;
    for (std::size_t i = 0; i + 2 < l.size(); ++i) {
        if (l[i] != "message") continue;
        out.push_back(l[i + 2]);
        i += 2;
    }
    return out;
}

}  // namespace araldo::test
