#include "webhook_queue.hpp"

#include <unordered_set>

namespace araldo::plugins::endpoint_webhook {

bool delivery_queue::add(ptr d, clock::time_point due) {
    if (!all_.emplace(d->id, d).second) return false;
    due_.emplace(due, std::move(d));
    return true;
}

void delivery_queue::reschedule(const ptr& d, clock::time_point due) { due_.emplace(due, d); }

delivery_queue::ptr delivery_queue::take_due(clock::time_point now) {
    if (due_.empty() || due_.begin()->first > now) return nullptr;
    ptr d = std::move(due_.begin()->second);
    due_.erase(due_.begin());
    return d;
}

void delivery_queue::finish(const std::string& id) { all_.erase(id); }

void delivery_queue::all_due_now(clock::time_point now) {
    std::multimap<clock::time_point, ptr> moved;
    for (auto& [due, d] : due_) moved.emplace(std::min(due, now), std::move(d));
    due_ = std::move(moved);
}

std::optional<delivery_queue::clock::time_point> delivery_queue::next_due() const {
    if (due_.empty()) return std::nullopt;
    return due_.begin()->first;
}

std::vector<const delivery*> delivery_queue::pending() const {
    std::vector<const delivery*> out;
    out.reserve(all_.size());
    // Due order first (what a restart should send first), then in flight.
    std::unordered_set<const delivery*> waiting;
    for (const auto& [due, d] : due_) {
        out.push_back(d.get());
        waiting.insert(d.get());
    }
    for (const auto& [id, d] : all_)
        if (!waiting.contains(d.get())) out.push_back(d.get());
    return out;
}

}  // namespace araldo::plugins::endpoint_webhook
