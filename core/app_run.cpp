// The lifecycle: bind, run every endpoint, stop on SIGINT/SIGTERM.
#include "app.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>

namespace araldo::detail {

int app::run() {
    const auto& g = config_.global;
    // Before anything can announce readiness: a signal that arrives between
    // "listening" and the handler's installation would kill the process.
    signals_ = std::make_unique<asio::signal_set>(io_, SIGINT, SIGTERM);
    deadline_ = std::make_unique<asio::steady_timer>(io_);
    wait_for_signal();
    try {
        listener_->bind(g.bind, g.server_port);
    } catch (const std::exception& e) {
        log_->critical("cannot listen on {}:{}: {}", g.bind, g.server_port, e.what());
        return 1;
    }
    log_->info("araldo listening on {}:{} with {} endpoints", g.bind, listener_->port(), endpoints_.size());
    asio::co_spawn(io_, listener_->accept_loop(), [log = log_](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log->error("listener stopped: {}", ex.what());
        }
    });
    for (auto& host : endpoints_) {
        ++running_;
        host->running = true;
        endpoint_host* h = host.get();
        asio::co_spawn(io_, h->get()->run(), [this, h](std::exception_ptr e) { on_endpoint_done(*h, e); });
    }
    io_.run();
    log_->info("stopped");
    spdlog::apply_all([](const auto& l) { l->flush(); });
    return 0;
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
        begin_shutdown();
        wait_for_signal();
    });
}

void app::begin_shutdown() {
    stopping_ = true;
    listener_->stop();
    for (auto& host : endpoints_) {
        if (host->running) host->get()->stop();
    }
    deadline_->expires_after(config_.global.shutdown_timeout);
    deadline_->async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        for (const auto& host : endpoints_) {
            if (host->running) log_->warn("shutdown timeout: endpoint {} still running", host->name());
        }
        // Coroutines still suspended reference endpoints; unwinding them now
        // gains nothing for a process that is about to end.
        spdlog::apply_all([](const auto& l) { l->flush(); });
        std::_Exit(0);
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
    finish_if_stopped();
}

void app::finish_if_stopped() {
    if (!stopping_ || running_ > 0) return;
    // Nothing left but the signal wait and the deadline: let io_.run() return.
    signals_->cancel();
    deadline_->cancel();
}

}  // namespace araldo::detail
