// --print-config: the configuration the relay would run, after ${VAR}, the
// ARALDO_* variables and the defaults, each value with where it came from,
// secrets masked.
#include "app.hpp"

#include <araldo/units.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <sstream>

namespace araldo::detail {
namespace {

constexpr const char* masked = "'***'";

// A name that says its value is a secret. A name rule in the core, so that
// every plugin's tokens are masked without the plugin doing anything.
bool secret_option(std::string_view name) {
    static constexpr std::array<std::string_view, 7> words{"token",         "secret",    "password", "key",
                                                           "authorization", "signature", "basic"};
    return std::any_of(words.begin(), words.end(), [&](auto w) { return name.find(w) != std::string_view::npos; });
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// redis://user:pw@host -> redis://user:***@host
std::string mask_url_password(std::string s) {
    const auto scheme = s.find("://");
    if (scheme == std::string::npos) return s;
    const auto at = s.find('@', scheme + 3);
    const auto slash = s.find('/', scheme + 3);
    if (at == std::string::npos || (slash != std::string::npos && slash < at)) return s;
    const auto colon = s.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at) return s;
    return s.replace(colon + 1, at - colon - 1, "***");
}

std::string scalar(const std::string& s) {
    YAML::Emitter e;
    e << YAML::DoubleQuoted << s;
    // Plain where YAML reads it back unchanged, quoted otherwise.
    YAML::Emitter plain;
    plain << s;
    return YAML::Load(plain.c_str()).Scalar() == s && !s.empty() ? plain.c_str() : e.c_str();
}

std::string flow_list(const std::vector<std::string>& items, bool secret) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + (secret ? masked : scalar(items[i]));
    return out + "]";
}

std::string source_of(const options& o, const std::string& name, const std::string& file) {
    if (!o.given(name)) return "default";
    const source_mark m = o.mark(name);
    if (m.file.starts_with("environment ")) return m.file;
    return m.file == file ? file + ":" + std::to_string(m.line) : m.str();
}

struct printer {
    std::ostringstream out;
    const std::string& file;

    void line(int indent, const std::string& text, const std::string& source = {}) {
        out << std::string(static_cast<std::size_t>(indent), ' ') << text;
        if (!source.empty()) out << "  # " << source;
        out << "\n";
    }

    void options_of(const options& o, const option_table& table, int indent, bool secret_above) {
        for (const auto& spec : table) {
            if (!o.has(spec.name) || skipped(o, spec.name)) continue;
            const bool secret = secret_above || secret_option(lower(spec.name));
            const std::string key = spec.name + ":";
            const std::string src = source_of(o, spec.name, file);
            switch (spec.type) {
                case option_type::object:
                    // Written or not can matter (a listener's tls: turns TLS on): an
                    // absent one stays absent, and its fields' defaults unsaid.
                    if (!o.given(spec.name)) {
                        line(indent, "# " + key + " not set");
                        break;
                    }
                    line(indent, key, src);
                    options_of(o.object(spec.name), spec.fields, indent + 2, secret);
                    break;
                case option_type::object_list: {
                    const auto& items = o.object_list(spec.name);
                    line(indent, key + (items.empty() ? " []" : ""), src);
                    for (const auto& item : items) {
                        printer p{{}, file, nullptr};
                        p.options_of(*item, spec.fields, indent + 4, secret);
                        std::string text = p.out.str();
                        text.replace(static_cast<std::size_t>(indent) + 2, 2, "- ");
                        out << text;
                    }
                    break;
                }
                default: line(indent, key + " " + value(o, spec, secret), src);
            }
        }
    }

    // server-port and bind when listeners replace them: written, they would
    // make the printed file one araldo refuses.
    const options* global = nullptr;
    bool skipped(const options& o, const std::string& name) const {
        return &o == global && (name == "server-port" || name == "bind") && o.given("listeners");
    }

    static std::string value(const options& o, const option_spec& spec, bool secret) {
        switch (spec.type) {
            case option_type::string: {
                const auto& s = o.string(spec.name);
                return secret && !s.empty() ? masked : scalar(mask_url_password(s));
            }
            case option_type::boolean: return o.boolean(spec.name) ? "true" : "false";
            case option_type::integer: return std::to_string(o.integer(spec.name));
            case option_type::duration: return format_duration(o.duration(spec.name));
            case option_type::size: return std::to_string(o.size(spec.name));
            case option_type::string_list: return flow_list(o.string_list(spec.name), secret);
            case option_type::duration_list: {
                std::vector<std::string> items;
                for (auto d : o.duration_list(spec.name)) items.push_back(format_duration(d));
                return flow_list(items, false);
            }
            case option_type::string_map: {
                std::string out = "{";
                for (const auto& [k, v] : o.string_map(spec.name)) {
                    const bool hide = secret || secret_option(lower(k));
                    out += (out.size() > 1 ? ", " : "") + scalar(k) + ": " + (hide ? masked : scalar(v));
                }
                return out + "}";
            }
            default: return "~";
        }
    }
};

}  // namespace

std::string app::effective_config() const {
    printer p{{}, config_.file, &config_.global_options};
    p.out << "# " << config_.file << " as araldo runs it: ${VAR} replaced, ARALDO_* variables applied, defaults\n"
          << "# filled in. After each value: where it comes from (file:line, environment VARIABLE or default).\n"
          << "# Secrets are masked.\n";
    p.line(0, "global:");
    p.options_of(config_.global_options, global_option_table(), 2, false);
    p.line(0, "plugins:");
    p.line(2, "araldo.marshalling:" + std::string(config_.marshallers.empty() ? " []" : ""));
    for (std::size_t i = 0; i < config_.marshallers.size(); ++i) {
        const auto& inst = config_.marshallers[i];
        p.line(4, "- name: " + scalar(inst.name), config_.file + ":" + std::to_string(inst.mark.line));
        p.line(6, "id: " + scalar(inst.id));
        if (const auto* f = loader_.find_marshaller(inst.id))
            p.options_of(marshaller_options_[i], f->options, 6, false);
    }
    p.line(2, "araldo.endpoints.endpoint:" + std::string(config_.endpoints.empty() ? " []" : ""));
    for (std::size_t i = 0; i < config_.endpoints.size(); ++i) {
        const auto& inst = config_.endpoints[i];
        p.line(4, "- name: " + scalar(inst.name), config_.file + ":" + std::to_string(inst.mark.line));
        p.line(6, "id: " + scalar(inst.id));
        if (!inst.marshalling.empty()) p.line(6, "marshalling: " + scalar(inst.marshalling));
        if (!inst.listeners.empty()) p.line(6, "listeners: " + flow_list(inst.listeners, false));
        if (const auto* f = loader_.find_endpoint(inst.id)) p.options_of(endpoints_[i]->opts(), f->options, 6, false);
    }
    p.line(0, "routes:" + std::string(config_.routes.empty() ? " {}" : ""));
    for (const auto& r : config_.routes) {
        std::string targets;
        for (const auto& t : r.targets) {
            if (!targets.empty()) targets += ", ";
            if (t.type_glob.empty() && !t.folder) {
                targets += scalar(t.name);
                continue;
            }
            targets += "{to: " + scalar(t.name);
            if (t.folder) targets += ", folder: " + scalar(t.folder->text());
            if (!t.type_glob.empty()) targets += ", type: " + scalar(t.type_glob);
            targets += "}";
        }
        p.line(2, scalar(r.source) + ": [" + targets + "]", r.mark.file + ":" + std::to_string(r.mark.line));
    }
    return p.out.str();
}

}  // namespace araldo::detail
