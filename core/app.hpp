// The relay assembled: config, plugins, marshallers, endpoints, routes and
// the listener, and the lifecycle that runs them.
#pragma once

#include "cli.hpp"
#include "config/config.hpp"
#include "data_dir_lock.hpp"
#include "endpoint_host.hpp"
#include "http/admin_routes.hpp"
#include "http/listener.hpp"
#include "http/listener_subset.hpp"
#include "http/staged_routes.hpp"
#include "http/tls_server.hpp"
#include "metrics.hpp"
#include "plugin_loader.hpp"
#include "router.hpp"
#include "statsd.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace araldo::detail {

struct health_problem {
    std::string endpoint;
    std::string severity;  // "critical", "error" or "warning"
    std::string text;
};

class app {
public:
    explicit app(cli_options cli);
    ~app();

    // Everything up to (not including) binding: throws config_error.
    void load();
    // Only the plugin folders (for --list-plugins without a config).
    void load_plugins_only();

    std::string summary() const;                      // for --check
    std::string plugin_listing() const;               // for --list-plugins
    std::string options_reference() const;            // for --print-options
    std::string effective_config() const;             // for --print-config
    std::vector<std::string> command_usages() const;  // for --help
    // For --check: what would stop run() short of binding (a data-dir that
    // cannot be created or written); throws config_error.
    void check_start_conditions() const;
    // For --check: legal but suspicious (an endpoint no route leaves).
    std::vector<std::string> check_warnings() const;

    // Runs a plugin-provided subcommand (cli.command); returns its exit code.
    int run_command();

    // Binds and serves until a signal; returns the process exit code.
    int run();
    // araldo reload: checks the file, then sends SIGHUP to the relay that
    // holds its data-dir. Returns the exit code.
    int signal_reload();

    // Test hooks.
    asio::io_context& io() { return io_; }
    http_listener& listener() { return *listener_; }
    const std::vector<std::unique_ptr<endpoint_host>>& endpoints() const { return endpoints_; }
    const class metrics& metrics() const { return metrics_; }

private:
    void scan_plugins(const std::vector<std::string>& config_dirs);
    void build_marshallers();
    void build_endpoints();
    const endpoint_factory& endpoint_factory_for(const plugin_instance& inst) const;
    options endpoint_options(const plugin_instance& inst) const;  // validated; throws config_error
    std::unique_ptr<endpoint_host> make_endpoint(const plugin_instance& inst, std::size_t index,
                                                 std::unique_ptr<staged_routes>* staging);
    void start_endpoint(endpoint_host& host);  // start() and spawn run(); throws what start() throws
    void register_endpoint_gauge(endpoint_host& host);
    void install_routes(const std::vector<route_entry>& routes);
    void register_core_routes();
    void mount_admin();
    void wait_for_signal();
    void ignore_other_signals();
    void load_certificates();
    void reload_certificates();
    bool reopen_log();
    bool bind_listeners();
    void begin_shutdown();
    void finish_if_stopped();
    void on_endpoint_done(endpoint_host& host, std::exception_ptr e);
    std::vector<health_problem> health_problems() const;
    std::string liveness_failure() const;
    bool start_endpoints();
    void run_loop();
    std::string render_metrics() const;
    void notify_systemd(const std::string& state);
    // SIGHUP: the routes of the file as it is now (app_reload.cpp).
    struct reload_outcome {
        std::string result;  // ok, invalid, needs_restart
        std::string error;
    };
    reload_outcome reload_config();
    static std::string static_part(const std::string& text);
    // Each endpoint's mapping written out canonically, by name: what tells a
    // reload which endpoints changed.
    static std::map<std::string, std::string> endpoint_texts(const std::string& text);
    void remember_config();
    // Endpoints a reload adds, removes or restarts (app_reload_endpoints.cpp).
    struct endpoint_plan {
        std::vector<const plugin_instance*> added, changed;
        std::vector<endpoint_host*> removed;
    };
    endpoint_plan plan_endpoints(const config& next, const std::map<std::string, std::string>& texts);
    endpoint_host* live_endpoint(const std::string& name) const;
    void withdraw(endpoint_host& host);
    void unregister(const std::string& name);
    void retire(std::unique_ptr<endpoint_host> host);
    void restart_endpoint(endpoint_host& old, const plugin_instance& inst);
    bool take_in_place(endpoint_host& host, const plugin_instance& inst, const std::vector<plugin_instance>& before);

    cli_options cli_;
    // Declared first so it is destroyed last: endpoints own I/O objects bound to it.
    // All I/O runs on this one thread, so the reactor's per-socket locks are
    // pure cost (4% of the fan-out profile); the scheduler keeps its lock, as
    // the resolver's helper thread posts completions to it.
    asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    std::shared_ptr<spdlog::logger> log_;
    config config_;
    plugin_loader loader_;
    class metrics metrics_;
    std::unique_ptr<http_listener> listener_;
    // By listener name: the TLS contexts made from config_.listeners, re-made on SIGHUP.
    std::map<std::string, std::shared_ptr<const tls_server_context>> tls_contexts_;
    std::vector<std::unique_ptr<listener_subset>> listener_subsets_;  // for endpoints with listeners:
    std::unique_ptr<admin_routes> admin_;  // mounted on the listener by register_core_routes()
    std::unique_ptr<router> router_;
    std::vector<std::pair<std::string, std::unique_ptr<marshaller>>> marshallers_;
    std::vector<options> marshaller_options_;  // as validated, for --print-config
    // Indexed as the route table is: an endpoint a reload removed stays in
    // its place, retired; one it restarted is replaced in place.
    std::vector<std::unique_ptr<endpoint_host>> endpoints_;
    std::vector<std::unique_ptr<endpoint_host>> retired_;       // replaced by a restart; never destroyed before exit
    std::vector<std::unique_ptr<staged_routes>> staged_;        // registries of endpoints a reload added
    std::map<endpoint_host*, plugin_instance> restarts_;        // stopping now, to be made anew once run() returns
    std::map<std::string, std::string> endpoint_texts_;         // of the file as last applied
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::unique_ptr<asio::signal_set> signals_;
    std::unique_ptr<asio::signal_set> ignored_signals_;   // SIGHUP (certificates only), SIGUSR1, SIGUSR2
    std::map<int, std::uint64_t> ignored_signal_counts_;  // by signal number
    data_dir_lock data_dir_lock_;                         // held from before binding until the process ends
    std::unique_ptr<asio::steady_timer> deadline_;
    std::unique_ptr<statsd_sender> statsd_;  // global.statsd; null: off
    bool stopping_ = false;
    std::size_t running_ = 0;
    int exit_code_ = 0;
    // araldo_plugin_errors_total{endpoint="",where="handler"}: thrown from a
    // handler no endpoint could be charged with.
    araldo::counter& certificate_reloads_ = metrics_.counter("araldo_tls_certificate_reloads_total", {{"result", "ok"}},
                                                             "TLS listener certificates re-read on SIGHUP, by result");
    araldo::counter& certificate_reload_failures_ =
        metrics_.counter("araldo_tls_certificate_reloads_total", {{"result", "error"}},
                         "TLS listener certificates re-read on SIGHUP, by result");
    std::string config_text_static_;  // the loaded file without its routes (static_part)
    std::string config_hash_;         // of the file as last loaded: /_health/?full
    araldo::counter& reloads_ok_ = metrics_.counter("araldo_config_reloads_total", {{"result", "ok"}},
                                                    "configuration reloads (SIGHUP), by result");
    araldo::counter& reloads_invalid_ = metrics_.counter("araldo_config_reloads_total", {{"result", "invalid"}},
                                                         "configuration reloads (SIGHUP), by result");
    araldo::counter& reloads_need_restart_ = metrics_.counter(
        "araldo_config_reloads_total", {{"result", "needs_restart"}}, "configuration reloads (SIGHUP), by result");
    araldo::counter& unowned_faults_ =
        metrics_.counter("araldo_plugin_errors_total", {{"endpoint", ""}, {"where", "handler"}},
                         "exceptions thrown by plugin code and contained by the core");
};

}  // namespace araldo::detail
