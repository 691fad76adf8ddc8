// Start-up: everything that can fail with a config error, before any port is bound.
#include "app.hpp"

#include "config/nearest.hpp"
#include "config/option_validator.hpp"
#include "logging.hpp"
#include "options_reference.hpp"

#include <algorithm>
#include <iostream>
#include <sstream>

namespace araldo::detail {

app::app(cli_options cli) : cli_(std::move(cli)), log_(core_logger()) {}

app::~app() = default;

void app::scan_plugins(const std::vector<std::string>& config_dirs) {
    for (const auto& d : config_dirs) loader_.scan(d);
    for (const auto& d : cli_.plugin_dirs) loader_.scan(d);
    for (const auto& d : default_plugin_dirs()) loader_.scan(d, true);
}

void app::load_plugins_only() { scan_plugins({}); }

void app::load() {
    config_ = load_config(cli_.config, process_environment());
    set_log_level(cli_.log_level.value_or(config_.global.log_level));
    scan_plugins(config_.global.plugin_dirs);
    listener_ = std::make_unique<http_listener>(io_.get_executor(), log_, listener_limits{}, &metrics_);
    // Faults in deliver() are charged to the endpoint that threw.
    router_ = std::make_unique<router>(metrics_, log_,
                                       [this](std::size_t i, std::string_view where) { endpoints_[i]->record_fault(where); });
    build_marshallers();
    build_endpoints();
    std::vector<endpoint_slot> slots;
    std::vector<std::string> names;
    for (const auto& h : endpoints_) {
        slots.push_back({h->name(), h->get()});
        names.push_back(h->name());
    }
    router_->install(compile_routes(config_.routes, slots, metrics_), names);
    register_core_routes();
}

void app::build_marshallers() {
    auto env = process_environment();
    for (const auto& inst : config_.marshallers) {
        const marshaller_factory* f = loader_.find_marshaller(inst.id);
        if (!f) {
            auto ids = loader_.marshaller_ids();
            throw config_error(inst.id_mark, "unknown marshaller id '" + inst.id + "'",
                               ids.empty() ? "no marshaller plugins were found; check the plugin folders"
                                           : suggest(inst.id, ids) + " (found: " + join(ids) + ")");
        }
        validation_input in{inst.node, f->options, config_.file, env, marshaller_reserved_keys,
                            "marshaller '" + inst.name + "' (" + inst.id + ")"};
        options opts = validate_options(in);
        try {
            marshallers_.emplace_back(inst.name, f->create(opts));
        } catch (const config_error&) {
            throw;
        } catch (const std::exception& e) {
            throw config_error(inst.mark, "marshaller '" + inst.name + "' failed to start: " + e.what());
        }
    }
}

void app::build_endpoints() {
    auto env = process_environment();
    for (std::size_t i = 0; i < config_.endpoints.size(); ++i) {
        const auto& inst = config_.endpoints[i];
        const endpoint_factory* f = loader_.find_endpoint(inst.id);
        if (!f) {
            auto ids = loader_.endpoint_ids();
            throw config_error(inst.id_mark, "unknown endpoint id '" + inst.id + "'",
                               ids.empty() ? "no endpoint plugins were found; check the plugin folders"
                                           : suggest(inst.id, ids) + " (found: " + join(ids) + ")");
        }
        validation_input in{inst.node, f->options, config_.file, env, endpoint_reserved_keys,
                            "endpoint '" + inst.name + "' (" + inst.id + ")"};
        endpoint_host::wiring w;
        w.name = inst.name;
        w.plugin_id = inst.id;
        w.index = i;
        w.opts = validate_options(in);
        w.global = &config_.global;
        w.executor = io_.get_executor();
        w.http = listener_.get();
        w.metrics = &metrics_;
        w.route = router_.get();
        if (!inst.marshalling.empty()) {
            auto m = std::find_if(marshallers_.begin(), marshallers_.end(),
                                  [&](const auto& p) { return p.first == inst.marshalling; });
            w.marshalling = m->second.get();
        }
        auto host = std::make_unique<endpoint_host>(std::move(w));
        try {
            host->attach(f->create(*host));
        } catch (const config_error&) {
            throw;
        } catch (const std::exception& e) {
            throw config_error(inst.mark, "endpoint '" + inst.name + "' (" + inst.id + ") failed to start: " +
                                              e.what());
        }
        if (!host->get()) throw config_error(inst.mark, "endpoint '" + inst.name + "': factory returned nothing");
        endpoints_.push_back(std::move(host));
    }
}

std::string app::summary() const {
    std::ostringstream out;
    out << config_.file << ": ok\n";
    out << "  listener: " << config_.global.bind << ":" << config_.global.server_port << "\n";
    out << "  marshallers: " << marshallers_.size() << "\n";
    for (const auto& [name, m] : marshallers_) out << "    " << name << " (" << m->id() << ")\n";
    out << "  endpoints: " << endpoints_.size() << "\n";
    for (const auto& h : endpoints_) {
        out << "    " << h->name() << " (" << h->plugin_id() << ", marshalling " << h->marshalling().id() << ")\n";
    }
    out << "  routes: " << config_.routes.size() << "\n";
    for (const auto& r : config_.routes) {
        out << "    " << r.source << " ->";
        for (const auto& t : r.targets) {
            out << " " << t.name;
            if (!t.type_glob.empty()) out << "[type=" << t.type_glob << "]";
        }
        out << "\n";
    }
    return out.str();
}

int app::run_command() {
    config_ = load_config(cli_.config, process_environment());
    set_log_level(cli_.log_level.value_or("warn"));
    scan_plugins(config_.global.plugin_dirs);
    const command* c = loader_.find_command(cli_.command);
    if (!c) {
        std::vector<std::string> names;
        for (const command* x : loader_.commands()) names.push_back(x->name);
        throw std::invalid_argument("unknown command '" + cli_.command + "'" +
                                    (names.empty() ? std::string{} : "; available: " + join(names)));
    }
    command_context ctx{config_.global, cli_.command_args, std::cout, std::cerr};
    return c->run(ctx);
}

std::string app::options_reference() const { return detail::options_reference(loader_); }

std::string app::plugin_listing() const {
    auto rows = loader_.rows();
    std::size_t w_id = 2, w_kind = 4, w_name = 6, w_ver = 7;
    for (const auto& r : rows) {
        w_id = std::max(w_id, r.id.size());
        w_kind = std::max(w_kind, r.kind.size());
        w_name = std::max(w_name, r.plugin.size());
        w_ver = std::max(w_ver, r.version.size());
    }
    auto pad = [](const std::string& s, std::size_t w) { return s + std::string(w - s.size() + 2, ' '); };
    std::string out = pad("ID", w_id) + pad("KIND", w_kind) + pad("PLUGIN", w_name) + pad("VERSION", w_ver) + "FILE\n";
    for (const auto& r : rows) {
        out += pad(r.id, w_id) + pad(r.kind, w_kind) + pad(r.plugin, w_name) + pad(r.version, w_ver) + r.file + "\n";
    }
    return out;
}

}  // namespace araldo::detail
