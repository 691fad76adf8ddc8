// The core's side of an endpoint: its context (what the factory receives)
// and the endpoint it made. Owned by the app for the process lifetime.
#pragma once

#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace araldo::detail {

class admin_routes;
class router;

class endpoint_host final : public endpoint_context {
public:
    struct wiring {
        std::string name;
        std::string plugin_id;
        std::size_t index = 0;  // position in the route table
        options opts;
        const global_settings* global = nullptr;
        asio::any_io_executor executor;
        const marshaller* marshalling = nullptr;
        http_registry* http = nullptr;
        admin_routes* admin = nullptr;  // where ctx.http().add(admin_route) goes
        metrics_registry* metrics = nullptr;
        router* route = nullptr;
    };

    explicit endpoint_host(wiring w);
    ~endpoint_host() override;

    const std::string& name() const override { return w_.name; }
    const options& opts() const override { return w_.opts; }
    // After the endpoint took new options in place (endpoint::reconfigure).
    void replace_opts(options next) { w_.opts = std::move(next); }
    const global_settings& global() const override { return *w_.global; }
    asio::any_io_executor executor() const override { return w_.executor; }
    spdlog::logger& log() const override { return *log_; }
    const marshaller& marshalling() const override { return *w_.marshalling; }
    // The core's registry, with every handler wrapped so that a throw is
    // recorded as this endpoint's fault; admin routes go to the core's admin
    // API under this endpoint's name.
    http_registry& http() override;
    metrics_registry& metrics() override { return *w_.metrics; }
    ingest_result ingest(std::string payload, bool binary, attributes attrs) override;
    ingest_result ingest(message::fields f) override;
    message_ptr emit(message::fields f) override;

    // Call inside a catch block when this endpoint's plugin code threw:
    // counts araldo_plugin_errors_total{endpoint,where}, logs (rate-limited)
    // and keeps the endpoint unhealthy in /_health/?full from then on.
    void record_fault(std::string_view where) noexcept;
    std::uint64_t faults() const noexcept { return faults_; }
    const std::string& last_fault() const noexcept { return last_fault_; }

    const std::string& plugin_id() const { return w_.plugin_id; }
    endpoint* get() const { return endpoint_.get(); }
    void attach(std::unique_ptr<endpoint> ep) { endpoint_ = std::move(ep); }
    // The paths this endpoint registered on the listener, so that a reload
    // that removes or restarts it can withdraw them.
    const std::vector<std::string>& paths() const { return paths_; }

    // Set when run() ended with an exception; reported by health.
    std::string failure;
    bool running = false;
    // Removed or replaced by a reload: kept (coroutines and callbacks of its
    // plugin may still point at it) but no longer listed, routed or checked.
    bool retired = false;

private:
    class guarded_http;
    ingest_result route_fields(message::fields f);

    wiring w_;
    std::shared_ptr<spdlog::logger> log_;
    araldo::counter* invalid_ = nullptr;
    std::unique_ptr<guarded_http> http_;
    std::vector<std::pair<std::string, araldo::counter*>> fault_counters_;
    std::uint64_t faults_ = 0;
    std::string last_fault_;
    std::vector<std::string> paths_;
    std::unique_ptr<endpoint> endpoint_;
};

// Inside a catch block: what the exception says, whatever its type.
std::string current_exception_text();

// The marshaller used when an endpoint names none: bytes pass through.
const marshaller& pass_through_marshaller();

}  // namespace araldo::detail
