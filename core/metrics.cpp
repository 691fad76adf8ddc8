#include "metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace araldo::detail {
namespace {

std::string escape_label(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string render_labels(const metric_labels& labels) {
    if (labels.empty()) return {};
    std::string out = "{";
    for (const auto& [k, v] : labels) {
        if (out.size() > 1) out += ',';
        out += k + "=\"" + escape_label(v) + "\"";
    }
    return out + "}";
}

std::string render_number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

}  // namespace

metrics::family& metrics::family_for(std::string_view name, std::string_view help, bool is_counter) {
    auto it = families_.find(name);
    if (it == families_.end()) {
        it = families_.emplace(std::string(name), family{std::string(help), is_counter, {}}).first;
    } else if (it->second.is_counter != is_counter) {
        throw std::logic_error("metric " + std::string(name) + " registered as counter and gauge");
    }
    return it->second;
}

araldo::counter& metrics::counter(std::string_view name, metric_labels labels, std::string_view help) {
    family& f = family_for(name, help, true);
    for (auto& s : f.members) {
        if (s.labels == labels) return *s.value;
    }
    f.members.push_back(series{std::move(labels), std::make_unique<araldo::counter>(), {}});
    return *f.members.back().value;
}

void metrics::gauge(std::string_view name, metric_labels labels, std::string_view help, std::function<double()> read) {
    family& f = family_for(name, help, false);
    for (auto& s : f.members) {
        if (s.labels == labels) {
            s.read = std::move(read);
            return;
        }
    }
    f.members.push_back(series{std::move(labels), nullptr, std::move(read)});
}

void metrics::remove_gauges(std::string_view label, std::string_view value) {
    for (auto it = families_.begin(); it != families_.end();) {
        auto& f = it->second;
        if (!f.is_counter) {
            std::erase_if(f.members, [&](const series& s) {
                return std::any_of(s.labels.begin(), s.labels.end(),
                                   [&](const auto& l) { return l.first == label && l.second == value; });
            });
        }
        it = !f.is_counter && f.members.empty() ? families_.erase(it) : std::next(it);
    }
}

std::string metrics::render() const {
    std::string out;
    for (const auto& [name, f] : families_) {
        out += "# HELP " + name + " " + f.help + "\n";
        out += "# TYPE " + name + (f.is_counter ? " counter\n" : " gauge\n");
        for (const auto& s : f.members) {
            double v = s.value ? static_cast<double>(s.value->value()) : (s.read ? s.read() : 0.0);
            out += name + render_labels(s.labels) + " " +
                   (s.value ? std::to_string(s.value->value()) : render_number(v)) + "\n";
        }
    }
    return out;
}

void metrics::for_each(const std::function<void(const sample&)>& visit) const {
    for (const auto& [name, f] : families_) {
        for (const auto& s : f.members) {
            if (s.value) visit(sample{name, s.labels, s.value.get(), 0.0});
            else visit(sample{name, s.labels, nullptr, s.read ? s.read() : 0.0});
        }
    }
}

}  // namespace araldo::detail
