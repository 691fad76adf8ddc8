// Start-up: everything that can fail with a config error, before any port is bound.
#include "app.hpp"

#include "config/nearest.hpp"
#include "config/option_validator.hpp"
#include "logging.hpp"
#include "options_reference.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace araldo::detail {

namespace {

// `kind`: "endpoint" or "marshaller"; `ids`: what the plugin folders offer.
config_error unknown_id(const plugin_instance& inst, const std::string& kind, const std::vector<std::string>& ids) {
    return config_error(inst.id_mark, "unknown " + kind + " id '" + inst.id + "'",
                        ids.empty() ? "no " + kind + " plugins were found; check the plugin folders"
                                    : suggest(inst.id, ids) + " (found: " + join(ids) + ")");
}

}  // namespace

app::app(cli_options cli) : cli_(std::move(cli)), log_(core_logger()) {}

app::~app() = default;

void app::scan_plugins(const std::vector<std::string>& config_dirs) {
    for (const auto& d : config_dirs) loader_.scan(d);
    for (const auto& d : cli_.plugin_dirs) loader_.scan(d);
    for (const auto& d : default_plugin_dirs()) loader_.scan(d, true);
}

void app::load_plugins_only() { scan_plugins({}); }

void app::load() {
    config_ = load_config(cli_.config, process_environment(), araldo_environment());
    configure_logging(cli_.log_level.value_or(config_.global.log_level), config_.logging);
    scan_plugins(config_.global.plugin_dirs);
    listener_ = std::make_unique<http_listener>(io_.get_executor(), log_, listener_limits{}, &metrics_);
    load_certificates();
    admin_ = std::make_unique<admin_routes>(metrics_, log_);
    // Faults in deliver() are charged to the endpoint that threw.
    router_ = std::make_unique<router>(
        metrics_, log_, [this](std::size_t i, std::string_view where) { endpoints_[i]->record_fault(where); });
    build_marshallers();
    build_endpoints();
    install_routes(config_.routes);
    router_->log_payloads(config_.logging.payloads);
    remember_config();
    register_core_routes();
}

// Reads every TLS listener's certificate, key and CA now, so that --check
// and start-up name a bad file before anything binds.
void app::load_certificates() {
    for (const auto& l : config_.listeners) {
        if (!l.tls) continue;
        try {
            tls_contexts_[l.name] = std::make_shared<const tls_server_context>(*l.tls);
        } catch (const std::exception& e) {
            throw config_error(l.tls->mark, "listener " + l.name + ": " + e.what(),
                               "cert and key are PEM files; a relative path starts at the config file's folder");
        }
    }
}

void app::build_marshallers() {
    auto env = process_environment();
    for (const auto& inst : config_.marshallers) {
        const marshaller_factory* f = loader_.find_marshaller(inst.id);
        if (!f) throw unknown_id(inst, "marshaller", loader_.marshaller_ids());
        const std::string what = "marshaller '" + inst.name + "' (" + inst.id + ")";
        apply_instance_env(inst, f->options, what);
        validation_input in{inst.node, f->options, config_.file, env, marshaller_reserved_keys, what};
        options opts = validate_options(in);
        marshaller_options_.push_back(opts);
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
    for (std::size_t i = 0; i < config_.endpoints.size(); ++i)
        endpoints_.push_back(make_endpoint(config_.endpoints[i], i, nullptr));
}

const endpoint_factory& app::endpoint_factory_for(const plugin_instance& inst) const {
    const endpoint_factory* f = loader_.find_endpoint(inst.id);
    if (!f) throw unknown_id(inst, "endpoint", loader_.endpoint_ids());
    return *f;
}

options app::endpoint_options(const plugin_instance& inst) const {
    const endpoint_factory& f = endpoint_factory_for(inst);
    const std::string what = "endpoint '" + inst.name + "' (" + inst.id + ")";
    apply_instance_env(inst, f.options, what);
    auto env = process_environment();
    validation_input in{inst.node, f.options, config_.file, env, endpoint_reserved_keys, what};
    return validate_options(in);
}

// `staging`, when given, gets a registry to hold the endpoint's paths in
// until the caller commits them (a reload); else they are registered at once.
std::unique_ptr<endpoint_host> app::make_endpoint(const plugin_instance& inst, std::size_t index,
                                                  std::unique_ptr<staged_routes>* staging) {
    const endpoint_factory& f = endpoint_factory_for(inst);
    endpoint_host::wiring w;
    w.name = inst.name;
    w.plugin_id = inst.id;
    w.index = index;
    w.opts = endpoint_options(inst);
    w.global = &config_.global;
    w.executor = io_.get_executor();
    w.http = listener_.get();
    if (!inst.listeners.empty()) {
        listener_subsets_.push_back(std::make_unique<listener_subset>(*listener_, inst.listeners));
        w.http = listener_subsets_.back().get();
    }
    if (staging) {
        *staging = std::make_unique<staged_routes>(*w.http);
        w.http = staging->get();
    }
    w.admin = admin_.get();
    w.metrics = &metrics_;
    w.route = router_.get();
    if (!inst.marshalling.empty()) {
        auto m = std::find_if(marshallers_.begin(), marshallers_.end(),
                              [&](const auto& p) { return p.first == inst.marshalling; });
        w.marshalling = m->second.get();
    }
    auto host = std::make_unique<endpoint_host>(std::move(w));
    try {
        host->attach(f.create(*host));
    } catch (const config_error&) {
        throw;
    } catch (const std::exception& e) {
        throw config_error(inst.mark, "endpoint '" + inst.name + "' (" + inst.id + ") failed to start: " + e.what());
    }
    if (!host->get()) throw config_error(inst.mark, "endpoint '" + inst.name + "': factory returned nothing");
    return host;
}

std::string app::summary() const {
    std::ostringstream out;
    out << config_.file << ": ok\n";
    for (const auto& l : config_.listeners) {
        out << "  listener " << l.name << ": " << l.bind << ":" << l.port;
        if (l.tls) {
            out << " (tls";
            if (l.tls->client_certs != client_cert_mode::none)
                out << ", client certificates "
                    << (l.tls->client_certs == client_cert_mode::required ? "required" : "optional");
            out << ")";
        }
        out << "\n";
    }
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
            if (t.folder) out << "[folder=" << t.folder->text() << "]";
            if (!t.type_glob.empty()) out << "[type=" << t.type_glob << "]";
        }
        out << "\n";
    }
    return out.str();
}

std::vector<std::string> app::command_usages() const {
    std::vector<std::string> out;
    for (const command* c : loader_.commands()) out.push_back(c->usage);
    return out;
}

void app::check_start_conditions() const {
    if (const auto& file = config_.logging.file; !file.empty()) {
        const auto folder = std::filesystem::path(file).parent_path();
        std::error_code ec;
        if (!std::filesystem::is_directory(folder, ec)) {
            config_.global_options.fail("log-file", "folder " + folder.string() + " does not exist",
                                        "a relative path starts at the config file's folder");
        }
    }
    // run() creates the data-dir and locks it before binding; a folder it
    // could not create or write must fail here, not at the deploy.
    if (auto problem = data_dir_problem(config_.global.data_dir); !problem.empty()) {
        throw config_error(config_.data_dir_mark, "data-dir " + config_.global.data_dir + ": " + problem,
                           "a relative data-dir starts at the config file's folder");
    }
}

std::vector<std::string> app::check_warnings() const {
    std::vector<std::string> out = config_.warnings;
    for (const auto& e : config_.endpoints) {
        const bool routed = std::any_of(config_.routes.begin(), config_.routes.end(),
                                        [&](const route_entry& r) { return r.source == e.name; });
        if (routed) continue;
        out.push_back(e.mark.str() + ": no route from endpoint '" + e.name + "' (" + e.id +
                      "): messages it receives are counted and dropped (fine if it only sends)");
    }
    return out;
}

int app::run_command() {
    const bool help = std::any_of(cli_.command_args.begin(), cli_.command_args.end(),
                                  [](const std::string& a) { return a == "-h" || a == "--help"; });
    std::error_code ec;
    if (help && !cli_.config_given && !std::filesystem::exists(cli_.config, ec)) {
        // Help needs no config: the command sees the defaults.
        config_.file = cli_.config;
        config_.global.data_dir = std::filesystem::absolute("data").string();
    } else {
        config_ = load_config(cli_.config, process_environment(), araldo_environment());
    }
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
