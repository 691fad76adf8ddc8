#include "router.hpp"

#include "logging.hpp"

#include <araldo/log_payload.hpp>
#include <araldo/log_rate.hpp>

namespace araldo::detail {

router::router(metrics_registry& metrics, std::shared_ptr<spdlog::logger> log, fault_handler on_fault)
    : metrics_(metrics), log_(std::move(log)), emit_log_(make_logger("emit")), on_fault_(std::move(on_fault)) {}

void router::install(route_table table, const std::vector<std::string>& names) {
    table_ = std::move(table);
    endpoints_.clear();
    for (const auto& name : names) {
        per_endpoint e;
        e.name = name;
        e.in = &metrics_.counter("araldo_messages_in_total", {{"endpoint", name}},
                                 "messages received by an endpoint and handed to the router");
        e.out = &metrics_.counter("araldo_messages_out_total", {{"endpoint", name}},
                                  "messages accepted by an endpoint for delivery");
        endpoints_.push_back(std::move(e));
    }
}

route_outcome router::route(std::size_t source, const message_ptr& msg) {
    route_outcome outcome;
    per_endpoint& src = endpoints_[source];
    src.in->inc();
    if (emit_log_->should_log(spdlog::level::info)) log_emit(src, *msg);
    const bool trace = log_->should_log(spdlog::level::debug);
    for (const auto& t : table_.by_source[source]) {
        if (!t.type_glob.empty() && !glob_match(t.type_glob, msg->type())) continue;
        if (t.folder && !t.folder->matches(msg->attributes())) continue;
        if (trace) log_->debug("ROUTE {} {} -> {}", msg->id(), src.name, t.target_name);
        const delivery_result r = deliver_contained(t, msg);
        per_endpoint& dst = endpoints_[t.target_index];
        if (r.accepted) {
            t.delivered->inc();
            dst.out->inc();
        } else {
            count_drop(dst, r.reason, *msg);
            if (r.durable && outcome.refused_by.empty()) outcome.refused_by = dst.name;
        }
    }
    return outcome;
}

void router::log_emit(const per_endpoint& src, const message& msg) {
    const std::string_view type = msg.type().empty() ? std::string_view("-") : msg.type();
    if (log_payloads_) {
        emit_log_->info("EMIT {} {} {} {} {}", msg.id(), type, src.name, msg.payload().size(),
                        loggable_payload(msg.payload()));
    } else {
        emit_log_->info("EMIT {} {} {} {}", msg.id(), type, src.name, msg.payload().size());
    }
}

// A plugin's exception must not unwind through the router into the ingress
// (and from there out of the event loop): one bad endpoint would take every
// other down. Contained here, it costs nothing until something throws.
delivery_result router::deliver_contained(const route_target_ref& t, const message_ptr& msg) {
    try {
        return t.target->deliver(msg);
    } catch (...) {
        if (on_fault_) on_fault_(t.target_index, "deliver");
        return delivery_result::dropped("plugin_error");
    }
}

void router::count_drop(per_endpoint& target, std::string_view reason, const message& msg) {
    if (reason.empty()) reason = "unspecified";
    araldo::counter* c = nullptr;
    for (auto& [r, counter] : target.dropped) {
        if (r == reason) c = counter;
    }
    if (!c) {
        c = &metrics_.counter("araldo_messages_dropped_total",
                              {{"endpoint", target.name}, {"reason", std::string(reason)}},
                              "messages an endpoint refused, by reason");
        target.dropped.emplace_back(reason, c);
    }
    c->inc();
    // One line per drop would flood the log under overload: every 1st, 10th, 100th...
    auto n = c->value();
    if (worth_logging(n)) {
        log_->warn("DROP {} -> {}: {} ({} so far)", msg.id(), target.name, reason, n);
    }
}

}  // namespace araldo::detail
