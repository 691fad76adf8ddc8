// The core's HTTP listener: the route table, the acceptor, and stop().
// Connections are served in listener_session.cpp.
#include "http/listener.hpp"

#include "http/listener_session.hpp"

#include <araldo/log_rate.hpp>

#include <spdlog/logger.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>

namespace araldo::detail {
namespace {

using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Accept failures such as EMFILE repeat at once; pausing avoids a busy loop.
constexpr std::chrono::milliseconds accept_retry_delay{100};

asio::awaitable<void> run_accept_loop(std::shared_ptr<listener_state> st, listening_port& port) {
    while (!st->stopping) {
        auto [ec, socket] = co_await port.acceptor.async_accept(use_tuple);
        if (st->stopping || ec == asio::error::operation_aborted) break;
        if (!ec) {
            spawn_session(st, port, std::move(socket));
            continue;
        }
        // Out of descriptors (EMFILE) fails again on every retry: one warning
        // per retry would flood the log while the relay is already in trouble.
        const auto n = st->count_accept_failure();
        if (worth_logging(n)) st->log->warn("http: accept failed: {} ({} so far)", ec.message(), n);
        asio::steady_timer pause{port.acceptor.get_executor(), accept_retry_delay};
        co_await pause.async_wait(use_tuple);
    }
}

void check_path(const std::string& path) {
    if (!path.starts_with('/')) throw std::invalid_argument("path '" + path + "' must start with '/'");
}

template <class Route>
void add_unique(std::vector<served<Route>>& routes, Route route, std::vector<std::string> only) {
    check_path(route.path);
    for (const auto& r : routes)
        if (r.route->path == route.path) throw std::invalid_argument("path " + route.path + " is already registered");
    routes.push_back({std::make_shared<const Route>(std::move(route)), std::move(only)});
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

void http_listener::add(http_route route) { add(std::move(route), {}); }
void http_listener::add(upgrade_route route) { add(std::move(route), {}); }

void http_listener::add(http_route route, std::vector<std::string> only) {
    if (!route.handler) throw std::invalid_argument("path " + route.path + " has no handler");
    add_unique(impl_->state->http_routes, std::move(route), std::move(only));
}

void http_listener::add(upgrade_route route, std::vector<std::string> only) {
    if (!route.accept) throw std::invalid_argument("path " + route.path + " has no accept function");
    add_unique(impl_->state->upgrade_routes, std::move(route), std::move(only));
}

void http_listener::remove(const std::string& path) {
    auto& st = *impl_->state;
    std::erase_if(st.http_routes, [&](const auto& r) { return r.route->path == path; });
    std::erase_if(st.upgrade_routes, [&](const auto& r) { return r.route->path == path; });
}

bool http_listener::serves(const std::string& path) const {
    const auto& st = *impl_->state;
    const auto at = [&](const auto& r) { return r.route->path == path; };
    return std::any_of(st.http_routes.begin(), st.http_routes.end(), at) ||
           std::any_of(st.upgrade_routes.begin(), st.upgrade_routes.end(), at);
}

void http_listener::bind(const std::string& address, std::uint16_t port) {
    listener_binding b;
    b.address = address;
    b.port = port;
    bind(std::move(b));
}

void http_listener::bind(listener_binding binding) {
    auto& st = *impl_->state;
    for (const auto& p : st.ports)
        if (p->name == binding.name) throw std::invalid_argument("listener " + binding.name + " is bound twice");
    auto port = std::make_unique<listening_port>(binding.name, st.executor);
    port->tls = std::move(binding.tls);
    port->handshake_timeout = binding.handshake_timeout;
    auto& acceptor = port->acceptor;
    const auto where = binding.address + ":" + std::to_string(binding.port);
    error_code ec;
    const auto ip = asio::ip::make_address(binding.address, ec);
    if (ec) throw boost::system::system_error(ec, "http listener: bad address " + binding.address);
    const tcp::endpoint endpoint{ip, binding.port};
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw boost::system::system_error(ec, "http listener: cannot listen on " + where);
    st.ports.push_back(std::move(port));  // only now: a failed bind leaves the listener as it was
}

std::uint16_t http_listener::port() const {
    const auto& ports = impl_->state->ports;
    return ports.empty() ? 0 : port(ports.front()->name);
}

std::uint16_t http_listener::port(const std::string& name) const {
    for (const auto& p : impl_->state->ports) {
        if (p->name != name) continue;
        error_code ec;
        const auto endpoint = p->acceptor.local_endpoint(ec);
        return ec ? 0 : endpoint.port();
    }
    return 0;
}

void http_listener::replace_tls(const std::string& name, std::shared_ptr<const tls_server_context> ctx) {
    for (auto& p : impl_->state->ports)
        if (p->name == name) p->tls = std::move(ctx);
}

asio::awaitable<void> http_listener::accept_loop() {
    auto st = impl_->state;
    if (st->ports.empty()) throw std::logic_error("http listener: accept_loop() before bind()");
    // One loop per port; this coroutine carries the first, the others run
    // beside it and end with it at stop().
    for (std::size_t i = 1; i < st->ports.size(); ++i) {
        asio::co_spawn(st->executor, run_accept_loop(st, *st->ports[i]), [st](std::exception_ptr e) {
            if (e) st->log->error("http: an accept loop failed");
        });
    }
    co_await run_accept_loop(st, *st->ports.front());
}

void http_listener::stop() {
    auto& st = *impl_->state;
    st.stopping = true;
    error_code ignored;
    for (auto& p : st.ports) p->acceptor.close(ignored);
    for (auto& s : st.sessions)
        if (s.idle) s.socket->cancel(ignored);  // the session sees operation_aborted and closes
}

std::uint64_t http_listener::open_connections() const { return impl_->state->sessions.size(); }

}  // namespace araldo::detail
