#include "starter_config.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

namespace araldo::detail {

namespace {

// Runs as written with the plugins of a standard install: nothing else
// (no Redis, no receiver) is needed. Every value shown is the default, or
// what a first deployment wants; commented blocks show what to add next.
constexpr std::string_view starter_text = R"(# araldo configuration, written by `araldo init`.
# Every setting: docs/configuration.md (installed in /usr/share/doc/araldo).
# Check a change before applying it: araldo --check -c <this file>
# Secrets: write ${VARIABLE} and set the variable in the environment.

global:
  # One plain HTTP listener for WebSocket, HTTP endpoints, /_health/ and
  # /metrics. 127.0.0.1: only this machine; 0.0.0.0 or :: for every interface.
  server-port: 54321
  bind: 127.0.0.1
  log-level: info            # trace, debug, info, warn, error, critical, off
  shutdown-timeout: 5s       # how long a stop waits for queues to drain
  # Dead letters, spools and the lock of the one relay using them.
  # A relative path starts at this file's folder.
  data-dir: @DATA_DIR@
  # admin-token: ${ARALDO_ADMIN_TOKEN}   # enables /_admin/ (empty: disabled)
  # statsd: {host: 127.0.0.1, port: 8125, interval: 10s}   # push /metrics to statsd
  # TLS instead of server-port and bind:
  # listeners:
  #   - {name: public, port: 8443, bind: 0.0.0.0, tls: {cert: /etc/araldo/cert.pem, key: /etc/araldo/key.pem}}

plugins:
  araldo.marshalling:
    - name: json
      id: marshal-json         # validates JSON, lifts "type" and "folder"

  araldo.endpoints.endpoint:
    # Backends POST messages here: curl -d '{"type":"hello"}' http://127.0.0.1:54321/emit
    - name: emit
      id: endpoint-http
      path: /emit
      marshalling: json
      # auth: {tokens: ["${ARALDO_EMIT_TOKEN}"]}
    # Browsers connect here (ws://127.0.0.1:54321/ws) and hear what is routed to them.
    - name: browsers
      id: endpoint-websocket
      path: /ws
      marshalling: json
      # allowed-origins: ["https://app.example.com"]
      # auth: {tokens: ["${ARALDO_WS_TOKEN}"]}
    # Webhooks, Redis and files: see the plugins' READMEs, for example
    # - {name: hooks, id: endpoint-webhook, url: "https://example.com/hook", marshalling: json}
    # - {name: bus, id: endpoint-redis, url: "redis://127.0.0.1:6379", publish: araldo, marshalling: json}

# Where each endpoint's messages go: source: [targets]. Browsers hear what
# backends POST and what other browsers send (not their own: echo is off).
routes:
  emit: [browsers]
  browsers: [browsers]
)";

}  // namespace

std::string starter_config(std::string_view data_dir) {
    std::string text(starter_text);
    const std::string_view marker = "@DATA_DIR@";
    text.replace(text.find(marker), marker.size(), data_dir);
    return text;
}

int run_init(const std::vector<std::string>& args) {
    const char* usage = "usage: araldo init [--force] [--data-dir DIR] [FILE]   (FILE defaults to ./araldo.yaml)\n";
    std::string file = "araldo.yaml";
    std::string data_dir = "./data";
    bool force = false, file_given = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--force") {
            force = true;
        } else if (a == "--data-dir" && i + 1 < args.size()) {
            data_dir = args[++i];
        } else if (a == "-h" || a == "--help") {
            std::cout << usage;
            return 0;
        } else if (!a.starts_with("-") && !file_given) {
            file = a;
            file_given = true;
        } else {
            std::cerr << "araldo init: unexpected argument '" << a << "'\n" << usage;
            return 2;
        }
    }
    std::error_code ec;
    if (!force && std::filesystem::exists(file, ec)) {
        std::cerr << "araldo init: " << file << " exists; not overwritten (--force replaces it)\n";
        return 2;
    }
    std::ofstream out(file, std::ios::trunc);
    out << starter_config(data_dir);
    out.close();
    if (!out) {
        std::cerr << "araldo init: cannot write " << file << "\n";
        return 1;
    }
    std::cout << "wrote " << file << "; check it with: araldo --check -c " << file << "\n";
    return 0;
}

}  // namespace araldo::detail
