// The memory run: connect, read the relay's RSS, leave.
#include "run.hpp"

#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace araldo::bench {

bool run_idle(const options& o, idle_result& r, std::string& err) {
    std::unique_ptr<tls_client> tls;
    if (o.sub.tls) {
        try {
            tls = std::make_unique<tls_client>(o.ca, true);
        } catch (const std::runtime_error& e) {
            err = e.what();
            return false;
        }
    }
    r.rss_before_kib = process_rss_kib(o.relay_pid);
    std::vector<int> fds;
    std::vector<tls_conn> conns(static_cast<std::size_t>(o.subscribers));
    fds.reserve(static_cast<std::size_t>(o.subscribers));
    bool ok = true;
    for (int i = 0; i < o.subscribers; ++i) {
        std::string leftover;
        const int fd = ws_connect(o.sub, tls.get(), conns[static_cast<std::size_t>(i)], leftover, err);
        if (fd < 0) {
            err = "connection " + std::to_string(i) + ": " + err;
            ok = false;
            break;
        }
        fds.push_back(fd);
    }
    r.connected = static_cast<int>(fds.size());
    usleep(static_cast<useconds_t>(o.idle_settle_ms) * 1000);
    r.rss_after_kib = process_rss_kib(o.relay_pid);
    r.kernel_tls_sessions = kernel_tls_sessions();
    if (!fds.empty()) r.tls = conns[0].describe();
    conns.clear();
    for (int fd : fds) close(fd);
    return ok;
}

}  // namespace araldo::bench
