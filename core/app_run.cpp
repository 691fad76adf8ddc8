// The lifecycle: lock the data-dir, bind, run every endpoint, stop on
// SIGINT/SIGTERM; SIGHUP re-reads TLS certificates; SIGUSR1 reopens the log file;
// SIGUSR2 (and SIGUSR1 without a log file) is logged and ignored.
#include "app.hpp"
#include "logging.hpp"
#include "sd_notify.hpp"

#include <araldo/log_rate.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>

namespace araldo::detail {

namespace {

// "127.0.0.1:8080", "[::1]:8080".
std::string host_port(const std::string& address, std::uint16_t port) {
    const bool v6 = address.find(':') != std::string::npos;
    return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

// "Address already in use" → "address already in use", to read as one sentence.
std::string lowercase_first(std::string s) {
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
    return s;
}

}  // namespace

// Binds every listener, in config order; false (logged) when one cannot.
bool app::bind_listeners() {
    for (const auto& l : config_.listeners) {
        listener_binding b;
        b.name = l.name;
        b.address = l.bind;
        b.port = l.port;
        if (l.tls) {
            b.tls = tls_contexts_.at(l.name);
            b.handshake_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(l.tls->handshake_timeout);
        }
        try {
            listener_->bind(std::move(b));
        } catch (const boost::system::system_error& e) {
            // The code's text alone: what() repeats the address and adds a source location.
            log_->critical("cannot listen on {}: {}", host_port(l.bind, l.port), lowercase_first(e.code().message()));
            return false;
        } catch (const std::exception& e) {
            log_->critical("cannot listen on {}: {}", host_port(l.bind, l.port), e.what());
            return false;
        }
        // Only several listeners need their names in the log: one is "default".
        if (config_.listeners.size() > 1 || l.tls) {
            std::string what = l.tls ? "tls" : "plain";
            if (l.tls && l.tls->client_certs == client_cert_mode::required) what += ", client certificates required";
            if (l.tls && l.tls->client_certs == client_cert_mode::optional) what += ", client certificates optional";
            log_->info("listener {} listening on {} ({})", l.name, host_port(l.bind, listener_->port(l.name)), what);
        }
    }
    return true;
}

// SIGHUP: new connections on each TLS listener get the certificate and key
// now on disk; established ones keep theirs. A file that does not load
// leaves that listener as it was.
void app::reload_certificates() {
    for (const auto& l : config_.listeners) {
        if (!l.tls) continue;
        try {
            auto ctx = std::make_shared<const tls_server_context>(*l.tls);
            tls_contexts_[l.name] = ctx;
            listener_->replace_tls(l.name, std::move(ctx));
            certificate_reloads_.inc();
            log_->info("listener {}: certificate reloaded from {}", l.name, l.tls->cert);
        } catch (const std::exception& e) {
            certificate_reload_failures_.inc();
            log_->error("listener {}: certificate not reloaded, the previous one stays: {}", l.name, e.what());
        }
    }
    notify_systemd("READY=1");
}

// A unit of Type=notify waits for READY=1; anywhere else this does nothing.
void app::notify_systemd(const std::string& state) {
    if (auto error = sd_notify(state); !error.empty()) log_->warn("systemd notification not sent: {}", error);
}

int app::run() {
    const auto& g = config_.global;
    if (!config_.logging.file.empty()) {
        try {
            open_log_file(config_.logging.file);
        } catch (const std::exception& e) {
            log_->critical("{}", e.what());
            return 1;
        }
    }
    for (const auto& w : config_.warnings) log_->warn("{}", w);
    // Before anything can announce readiness: a signal that arrives between
    // "listening" and the handler's installation would kill the process.
    signals_ = std::make_unique<asio::signal_set>(io_, SIGINT, SIGTERM);
    deadline_ = std::make_unique<asio::steady_timer>(io_);
    wait_for_signal();
    ignore_other_signals();
    // Before binding and before any endpoint loads its spool: a second relay
    // on this data-dir must leave it untouched.
    try {
        data_dir_lock_ = data_dir_lock(g.data_dir);
    } catch (const std::exception& e) {
        log_->critical("{}", e.what());
        return 1;
    }
    if (!bind_listeners()) return 1;
    // After binding (a relay that cannot listen must not load a spool it
    // would then abandon) and before accepting (no request may reach an
    // endpoint that has not started).
    if (!start_endpoints()) {
        run_loop();
        return exit_code_;
    }
    if (config_.statsd) {
        statsd_ = std::make_unique<statsd_sender>(io_.get_executor(), *config_.statsd, metrics_, log_);
        statsd_->start();
    }
    const auto& first = config_.listeners.front();
    const auto listening = host_port(first.bind, listener_->port(first.name));
    log_->info("araldo listening on {} with {} endpoints", listening, endpoints_.size());
    // After the last start-up line, before the first accept: once systemd
    // hears READY=1, units ordered after this one may connect at once, and
    // the listening sockets already queue them.
    notify_systemd("READY=1\nSTATUS=listening on " + listening);
    asio::co_spawn(io_, listener_->accept_loop(), [log = log_](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log->error("listener stopped: {}", ex.what());
        }
    });
    run_loop();
    return exit_code_;
}

// Starts every endpoint in config order and spawns the run() of each that
// started. When one refuses, those already started still get a graceful stop
// (they may hold state to persist), and the exit code is 1.
bool app::start_endpoints() {
    bool all = true;
    for (auto& host : endpoints_) {
        try {
            start_endpoint(*host);
        } catch (const std::exception& e) {
            log_->critical("endpoint {} cannot start: {}", host->name(), e.what());
            all = false;
            break;
        }
    }
    if (!all) {
        exit_code_ = 1;
        begin_shutdown();
    }
    return all;
}

void app::start_endpoint(endpoint_host& host) {
    host.get()->start();
    ++running_;
    host.running = true;
    endpoint_host* h = &host;
    asio::co_spawn(io_, h->get()->run(), [this, h](std::exception_ptr e) { on_endpoint_done(*h, e); });
}

// The last boundary: a handler of a plugin's own (a timer, a socket callback)
// that throws unwinds out of io_.run(). The relay logs it and runs on; the
// exception was the plugin's, the loop is still sound.
void app::run_loop() {
    for (;;) {
        try {
            io_.run();
            break;
        } catch (...) {
            unowned_faults_.inc();
            if (worth_logging(unowned_faults_.value())) {
                log_->error("an event handler threw and was contained: {} ({} so far)", current_exception_text(),
                            unowned_faults_.value());
            }
        }
    }
    log_->info("stopped");
    spdlog::apply_all([](const auto& l) { l->flush(); });
}

void app::wait_for_signal() {
    signals_->async_wait([this](boost::system::error_code ec, int signo) {
        if (ec) return;  // cancelled: every endpoint has stopped
        if (stopping_) {
            log_->warn("second signal ({}): exiting now", signo);
            spdlog::apply_all([](const auto& l) { l->flush(); });
            std::_Exit(1);
        }
        log_->info("signal {}: stopping (up to {} ms)", signo, config_.global.shutdown_timeout.count());
        // Armed before begin_shutdown(): with nothing left to stop, it ends
        // the loop at once and must find this wait to cancel.
        wait_for_signal();
        begin_shutdown();
    });
}

// Signals whose default action ends the process, which operators and
// logrotate send expecting a reload or a reopen (SIGHUP, SIGUSR1) or a
// custom action (SIGUSR2). None of them may kill a relay that holds
// undelivered messages. SIGHUP re-reads the TLS listeners' certificates (a
// renewal must not restart the relay), and endpoints' keys files (their own
// signal sets see it too) and the configuration's routes (app_reload.cpp).
// The others are logged and otherwise ignored.
void app::ignore_other_signals() {
    if (!ignored_signals_) ignored_signals_ = std::make_unique<asio::signal_set>(io_, SIGHUP, SIGUSR1, SIGUSR2);
    ignored_signals_->async_wait([this](boost::system::error_code ec, int signo) {
        if (ec) return;  // cancelled: shutting down
        if (signo == SIGHUP) {
            notify_systemd("RELOADING=1");
            if (!tls_contexts_.empty()) reload_certificates();
            reload_config();
            notify_systemd("READY=1");
            ignore_other_signals();
            return;
        }
        if (signo == SIGUSR1 && reopen_log()) {
            ignore_other_signals();
            return;
        }
        // Counted per signal, so that the first of each kind is always seen.
        const auto n = ++ignored_signal_counts_[signo];
        if (worth_logging(n)) {
            const char* name = signo == SIGUSR1 ? "SIGUSR1" : "SIGUSR2";
            log_->warn("{} received: nothing to do (SIGUSR1 reopens a log-file); ignored ({} so far)", name, n);
        }
        ignore_other_signals();
    });
}

// SIGUSR1 with a log-file: logrotate has renamed it; the lines written
// until now are in the renamed file, those from here on go to a new one.
bool app::reopen_log() {
    try {
        if (!reopen_log_file()) return false;
        log_->info("log file reopened");
    } catch (const std::exception& e) {
        log_->error("log file not reopened, still writing to the previous one: {}", e.what());
    }
    return true;
}

void app::begin_shutdown() {
    stopping_ = true;
    notify_systemd("STOPPING=1");
    listener_->stop();
    restarts_.clear();  // what a reload was restarting stays stopped
    for (auto& host : endpoints_) {
        if (host->running && !host->retired) host->get()->stop();
    }
    deadline_->expires_after(config_.global.shutdown_timeout);
    deadline_->async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        for (const auto* hosts : {&endpoints_, &retired_}) {
            for (const auto& host : *hosts)
                if (host->running) log_->warn("shutdown timeout: endpoint {} still running", host->name());
        }
        // Coroutines still suspended reference endpoints; unwinding them now
        // gains nothing for a process that is about to end.
        spdlog::apply_all([](const auto& l) { l->flush(); });
        std::_Exit(exit_code_);
    });
    finish_if_stopped();
}

void app::on_endpoint_done(endpoint_host& host, std::exception_ptr e) {
    host.running = false;
    --running_;
    if (e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            host.failure = ex.what();
            host.log().error("run() ended with an error: {}", ex.what());
        }
    } else {
        host.log().debug("stopped");
    }
    // A reload changed its options: the new one starts only now, so that two
    // never share its spool, its paths or its connections.
    if (auto next = restarts_.find(&host); next != restarts_.end()) {
        const plugin_instance inst = std::move(next->second);
        restarts_.erase(next);
        restart_endpoint(host, inst);
    }
    finish_if_stopped();
}

void app::finish_if_stopped() {
    if (!stopping_ || running_ > 0) return;
    // Nothing left but the signal wait and the deadline: let io_.run() return.
    signals_->cancel();
    if (ignored_signals_) ignored_signals_->cancel();
    if (statsd_) statsd_->stop();  // one last push, then its loop ends
    deadline_->cancel();
}

}  // namespace araldo::detail
