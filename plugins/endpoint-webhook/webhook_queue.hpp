// The pending deliveries of one endpoint, ordered by when they are due.
// No I/O and no timers: the endpoint's workers ask it what to send next.
#pragma once

#include "delivery.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

class delivery_queue {
public:
    using clock = std::chrono::steady_clock;
    using ptr = std::shared_ptr<delivery>;

    // Pending: waiting (due now or later) plus in flight.
    std::size_t size() const { return all_.size(); }
    std::size_t waiting() const { return due_.size(); }
    std::size_t in_flight() const { return all_.size() - due_.size(); }
    bool contains(const std::string& id) const { return all_.contains(id); }

    // A new or resumed delivery; false when its id is already pending.
    bool add(ptr d, clock::time_point due);
    // Puts an in-flight delivery back, due at `due` (a retry, or held while disabled).
    void reschedule(const ptr& d, clock::time_point due);
    // The earliest delivery due at `now`, now in flight; null when none is.
    ptr take_due(clock::time_point now);
    // Removes an in-flight delivery for good (delivered or dead).
    void finish(const std::string& id);
    // Makes everything waiting due now (after an operator re-enabled the endpoint).
    void all_due_now(clock::time_point now);

    std::optional<clock::time_point> next_due() const;
    std::vector<const delivery*> pending() const;  // for the saved queue and the spool

private:
    std::multimap<clock::time_point, ptr> due_;  // equal keys keep arrival order
    std::unordered_map<std::string, ptr> all_;   // by id: waiting and in flight
};

}  // namespace araldo::plugins::endpoint_webhook
