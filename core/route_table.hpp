// The compiled route table: per source endpoint (by index) a vector of
// targets. A value built once at start, replaceable whole (hot reload later).
#pragma once

#include "config/config.hpp"

#include <araldo/endpoint.hpp>
#include <araldo/folder.hpp>
#include <araldo/metrics.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::detail {

struct route_target_ref {
    endpoint* target = nullptr;
    std::size_t target_index = 0;
    std::string target_name;
    std::string type_glob;  // empty: every message
    araldo::counter* delivered = nullptr;
    std::optional<folder_glob> folder = std::nullopt;  // none: every message
};

struct route_table {
    std::vector<std::vector<route_target_ref>> by_source;  // indexed like the endpoints
};

// Shell-style glob: '*' any run, '?' any one character. Used for type filters.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

struct endpoint_slot {
    std::string name;
    endpoint* ep = nullptr;
};

// Resolves names to endpoints (already checked by the config pass) and wires
// per-target counters.
route_table compile_routes(const std::vector<route_entry>& routes, const std::vector<endpoint_slot>& endpoints,
                           metrics_registry& metrics);

}  // namespace araldo::detail
