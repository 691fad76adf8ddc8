#include <araldo/context.hpp>
#include <araldo/metrics.hpp>

namespace araldo {

namespace {

metric_labels with_endpoint(const endpoint_context& ctx, metric_labels extra) {
    metric_labels labels;
    labels.reserve(extra.size() + 1);
    labels.emplace_back("endpoint", ctx.name());
    for (auto& l : extra) labels.push_back(std::move(l));
    return labels;
}

}  // namespace

araldo::counter& endpoint_counter(endpoint_context& ctx, std::string_view name, std::string_view help,
                                  metric_labels extra) {
    return ctx.metrics().counter(name, with_endpoint(ctx, std::move(extra)), help);
}

void endpoint_gauge(endpoint_context& ctx, std::string_view name, std::string_view help, std::function<double()> read,
                    metric_labels extra) {
    ctx.metrics().gauge(name, with_endpoint(ctx, std::move(extra)), help, std::move(read));
}

}  // namespace araldo
