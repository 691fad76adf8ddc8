// The core's HTTP listener: the route table, the acceptor, and stop().
// Connections are served in listener_session.cpp.
#include "http/listener.hpp"

#include "http/listener_session.hpp"

#include <araldo/log_rate.hpp>

#include <spdlog/logger.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>

namespace araldo::detail {
namespace {

using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Accept failures such as EMFILE repeat at once; pausing avoids a busy loop.
constexpr std::chrono::milliseconds accept_retry_delay{100};

asio::awaitable<void> run_accept_loop(std::shared_ptr<listener_state> st) {
    if (!st->acceptor.is_open()) throw std::logic_error("http listener: accept_loop() before bind()");
    while (!st->stopping) {
        auto [ec, socket] = co_await st->acceptor.async_accept(use_tuple);
        if (st->stopping || ec == asio::error::operation_aborted) break;
        if (!ec) {
            spawn_session(st, std::move(socket));
            continue;
        }
        // Out of descriptors (EMFILE) fails again on every retry: one warning
        // per retry would flood the log while the relay is already in trouble.
        const auto n = st->count_accept_failure();
        if (worth_logging(n)) st->log->warn("http: accept failed: {} ({} so far)", ec.message(), n);
        asio::steady_timer pause{st->acceptor.get_executor(), accept_retry_delay};
        co_await pause.async_wait(use_tuple);
    }
}

void check_path(const std::string& path) {
    if (!path.starts_with('/')) throw std::invalid_argument("path '" + path + "' must start with '/'");
}

template <class Route>
void add_unique(std::vector<std::shared_ptr<const Route>>& routes, Route route) {
    check_path(route.path);
    for (const auto& r : routes)
        if (r->path == route.path) throw std::invalid_argument("path " + route.path + " is already registered");
    routes.push_back(std::make_shared<const Route>(std::move(route)));
}

}  // namespace

struct http_listener::impl {
    std::shared_ptr<listener_state> state;
};

http_listener::http_listener(asio::any_io_executor ex, std::shared_ptr<spdlog::logger> log, listener_limits limits,
                             metrics_registry* metrics)
    : impl_{std::make_unique<impl>(impl{std::make_shared<listener_state>(std::move(ex), std::move(log), limits)})} {
    impl_->state->metrics = metrics;
}

// Sessions share the state and may outlive the listener; they must not keep accepting.
http_listener::~http_listener() { stop(); }

void http_listener::add(http_route route) {
    if (!route.handler) throw std::invalid_argument("path " + route.path + " has no handler");
    add_unique(impl_->state->http_routes, std::move(route));
}

void http_listener::add(upgrade_route route) {
    if (!route.accept) throw std::invalid_argument("path " + route.path + " has no accept function");
    add_unique(impl_->state->upgrade_routes, std::move(route));
}

void http_listener::bind(const std::string& address, std::uint16_t port) {
    auto& acceptor = impl_->state->acceptor;
    const auto where = address + ":" + std::to_string(port);
    error_code ec;
    const auto ip = asio::ip::make_address(address, ec);
    if (ec) throw boost::system::system_error(ec, "http listener: bad address " + address);
    const tcp::endpoint endpoint{ip, port};
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        error_code ignored;
        acceptor.close(ignored);  // leave the listener as it was, so bind() can be retried
        throw boost::system::system_error(ec, "http listener: cannot listen on " + where);
    }
}

std::uint16_t http_listener::port() const {
    error_code ec;
    const auto endpoint = impl_->state->acceptor.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
}

asio::awaitable<void> http_listener::accept_loop() { return run_accept_loop(impl_->state); }

void http_listener::stop() {
    auto& st = *impl_->state;
    st.stopping = true;
    error_code ignored;
    st.acceptor.close(ignored);
    for (auto& s : st.sessions)
        if (s.idle) s.socket->cancel(ignored);  // the session sees operation_aborted and closes
}

std::uint64_t http_listener::open_connections() const { return impl_->state->sessions.size(); }

}  // namespace araldo::detail
