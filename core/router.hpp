// The router: hands each inbound message to every target of its source.
// Never blocks: delivery is endpoint::deliver(), which only enqueues.
#pragma once

#include "route_table.hpp"

#include <araldo/message.hpp>
#include <araldo/metrics.hpp>

#include <spdlog/logger.h>

#include <memory>
#include <string_view>
#include <vector>

namespace araldo::detail {

class router {
public:
    router(metrics_registry& metrics, std::shared_ptr<spdlog::logger> log);

    // Replaces the whole table (start-up now, hot reload later). `names` are
    // the endpoint names by index, for per-endpoint counters.
    void install(route_table table, const std::vector<std::string>& names);

    // Routes `msg`, which arrived at endpoint `source`.
    void route(std::size_t source, const message_ptr& msg);

private:
    struct per_endpoint {
        std::string name;
        araldo::counter* in = nullptr;
        araldo::counter* out = nullptr;
        // Drop counters by reason, created on first use: reasons are few.
        std::vector<std::pair<std::string_view, araldo::counter*>> dropped;
    };
    void count_drop(per_endpoint& target, std::string_view reason, const message& msg);

    metrics_registry& metrics_;
    std::shared_ptr<spdlog::logger> log_;
    route_table table_;
    std::vector<per_endpoint> endpoints_;
};

}  // namespace araldo::detail
