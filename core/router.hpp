// The router: hands each inbound message to every target of its source.
// Never blocks: delivery is endpoint::deliver(), which only enqueues.
#pragma once

#include "route_table.hpp"

#include <araldo/message.hpp>
#include <araldo/metrics.hpp>

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace araldo::detail {

// What became of one routed message, for the ingress that accepted it.
struct route_outcome {
    // The first durable target that refused it (delivery_result::refused);
    // empty when every durable target took it.
    std::string_view refused_by;
};

class router {
public:
    // Called inside a catch block when a target's deliver() throws: the
    // target's index and where ("deliver"). The message counts as dropped.
    using fault_handler = std::function<void(std::size_t endpoint, std::string_view where)>;

    router(metrics_registry& metrics, std::shared_ptr<spdlog::logger> log, fault_handler on_fault = {});
    // global.log-payloads: EMIT lines carry the payload.
    void log_payloads(bool on) { log_payloads_ = on; }

    // Replaces the whole table (start-up now, hot reload later). `names` are
    // the endpoint names by index, for per-endpoint counters.
    void install(route_table table, const std::vector<std::string>& names);

    // Routes `msg`, which arrived at endpoint `source`.
    route_outcome route(std::size_t source, const message_ptr& msg);

private:
    struct per_endpoint {
        std::string name;
        araldo::counter* in = nullptr;
        araldo::counter* out = nullptr;
        // Drop counters by reason, created on first use: reasons are few.
        std::vector<std::pair<std::string_view, araldo::counter*>> dropped;
    };
    void count_drop(per_endpoint& target, std::string_view reason, const message& msg);
    void log_emit(const per_endpoint& src, const message& msg);

    delivery_result deliver_contained(const route_target_ref& t, const message_ptr& msg);

    metrics_registry& metrics_;
    std::shared_ptr<spdlog::logger> log_;
    // "emit": one info line per accepted message, levelled apart so a busy
    // relay can silence it (log-levels: {emit: warn}) and keep the rest.
    std::shared_ptr<spdlog::logger> emit_log_;
    bool log_payloads_ = false;
    fault_handler on_fault_;
    route_table table_;
    std::vector<per_endpoint> endpoints_;
};

}  // namespace araldo::detail
