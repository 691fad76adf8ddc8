// The registry an endpoint that a reload adds registers its paths through:
// they are held back until every new endpoint was made and no path collides
// with one still served, so that a reload that fails changes no route.
#pragma once

#include <araldo/http.hpp>

#include <string>
#include <utility>
#include <vector>

namespace araldo::detail {

class staged_routes final : public http_registry {
public:
    explicit staged_routes(http_registry& target) : target_{target} {}

    using http_registry::add;  // admin routes belong to the endpoint's context
    void add(http_route route) override { http_.push_back(std::move(route)); }
    void add(upgrade_route route) override { upgrade_.push_back(std::move(route)); }

    std::vector<std::string> paths() const {
        std::vector<std::string> out;
        for (const auto& r : http_) out.push_back(r.path);
        for (const auto& r : upgrade_) out.push_back(r.path);
        return out;
    }

    // Registers what was held back; throws as the target's add() does.
    void commit() {
        for (auto& r : http_) target_.add(std::move(r));
        for (auto& r : upgrade_) target_.add(std::move(r));
        http_.clear();
        upgrade_.clear();
    }

private:
    http_registry& target_;
    std::vector<http_route> http_;
    std::vector<upgrade_route> upgrade_;
};

}  // namespace araldo::detail
