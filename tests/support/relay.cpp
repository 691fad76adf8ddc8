#include "support/relay.hpp"

#include <regex>
#include <stdexcept>

namespace araldo::test {

std::string with_dir(std::string text, const std::string& dir) {
    for (auto p = text.find("{DIR}"); p != std::string::npos; p = text.find("{DIR}", p + dir.size())) {
        text.replace(p, 5, dir);
    }
    return text;
}

relay::relay(const std::string& config, options o) {
    std::string file = dir_.write("araldo.yaml", with_dir(config, dir_.path()));
    std::vector<std::string> argv{ARALDO_BINARY, "-c", file};
    argv.insert(argv.end(), o.extra_args.begin(), o.extra_args.end());
    proc_ = std::make_unique<child_process>(child_process::spec{argv, o.env, dir_.path(), o.pipe_stdin, dir_.path()});
    if (!o.wait_listening) return;
    if (!proc_->wait_for_err(" listening on ")) {
        throw std::runtime_error("araldo did not start listening; stderr:\n" + proc_->err());
    }
    std::smatch m;
    std::string err = proc_->err();
    if (!std::regex_search(err, m, std::regex(R"( listening on [^ ]*:(\d+) )"))) {
        throw std::runtime_error("no port in araldo's log:\n" + err);
    }
    port_ = static_cast<unsigned short>(std::stoi(m[1]));
}

}  // namespace araldo::test
