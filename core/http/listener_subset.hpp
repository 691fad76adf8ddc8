// The registry an endpoint limited to some listeners (its `listeners:`
// option) registers its paths through.
#pragma once

#include "http/listener.hpp"

#include <string>
#include <utility>
#include <vector>

namespace araldo::detail {

class listener_subset final : public http_registry {
public:
    listener_subset(http_listener& listener, std::vector<std::string> only)
        : listener_{listener}, only_{std::move(only)} {}

    using http_registry::add;  // admin routes belong to the endpoint's context
    void add(http_route route) override { listener_.add(std::move(route), only_); }
    void add(upgrade_route route) override { listener_.add(std::move(route), only_); }

private:
    http_listener& listener_;
    std::vector<std::string> only_;
};

}  // namespace araldo::detail
