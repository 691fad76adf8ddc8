#include "route_table.hpp"

#include <algorithm>

namespace araldo::detail {

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
    // Iterative matcher with one backtrack point: linear for practical patterns.
    std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

route_table compile_routes(const std::vector<route_entry>& routes, const std::vector<endpoint_slot>& endpoints,
                           metrics_registry& metrics) {
    auto index_of = [&](const std::string& name) -> std::size_t {
        auto it = std::find_if(endpoints.begin(), endpoints.end(), [&](const auto& e) { return e.name == name; });
        if (it == endpoints.end()) throw config_error({}, "route names unknown endpoint '" + name + "'");
        return static_cast<std::size_t>(it - endpoints.begin());
    };
    route_table table;
    table.by_source.resize(endpoints.size());
    for (const auto& r : routes) {
        auto& targets = table.by_source[index_of(r.source)];
        for (const auto& t : r.targets) {
            std::size_t i = index_of(t.name);
            auto& c = metrics.counter("araldo_route_messages_total", {{"source", r.source}, {"target", t.name}},
                                      "messages routed from a source endpoint to a target endpoint");
            targets.push_back({endpoints[i].ep, i, t.name, t.type_glob, &c, t.folder});
        }
    }
    return table;
}

}  // namespace araldo::detail
