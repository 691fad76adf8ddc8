// The config loader (core/config): YAML text through yaml_source's limits,
// parse_config (globals, plugin entries, routes, ${VAR} substitution) and the
// option validator, with a plugin option table that uses every option type.
//
// Every refusal must be a config_error (main prints it with file:line:col);
// any other exception escaping would reach main as a "fatal" without a
// position, and is reported as a finding. What the validator accepts must
// read back through the typed getters.
#include "fuzz_check.hpp"

#include "config/config.hpp"
#include "config/option_validator.hpp"
#include "config/yaml_source.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>
#include <string>
#include <string_view>

using namespace araldo;
using namespace araldo::detail;

namespace {

const std::string file = "fuzz.yaml";

// A fixed environment: set, empty and unset names, and an override that
// goes through the YAML parser again.
const env_lookup& environment() {
    static const env_lookup env = [](const std::string& name) -> std::optional<std::string> {
        static const std::map<std::string, std::string> vars{
            {"HOME", "/home/araldo"},      {"EMPTY", ""},   {"PORT", "8080"},    {"LIST", "[a, b]"},
            {"ARALDO_LOG_LEVEL", "debug"}, {"DOLLAR", "$"}, {"BRACE", "${HOME}"}};
        const auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
    return env;
}

const option_table& plugin_table() {
    static const option_table table{
        {"url", option_type::string, std::nullopt, "where to connect"},
        {"enabled", option_type::boolean, "true"},
        {"port", option_type::integer, "8080"},
        {"timeout", option_type::duration, "5s"},
        {"max-size", option_type::size, "64KiB"},
        {"channels", option_type::string_list, "[]"},
        {"retry", option_type::duration_list, "[1s, 5s]"},
        {"headers", option_type::string_map, "{}"},
        {"tls",
         option_type::object,
         std::nullopt,
         "TLS settings",
         false,
         {{"cert", option_type::string, ""},
          {"verify", option_type::boolean, "true"},
          {"ciphers", option_type::string_list, "[]"}}},
    };
    return table;
}

// Reads every value back as the plugin's factory would.
void read_back(const options& o) {
    (void)o.boolean("enabled");
    (void)o.integer("port");
    (void)o.duration("timeout");
    (void)o.size("max-size");
    (void)o.string_list("channels");
    (void)o.duration_list("retry");
    (void)o.string_map("headers");
    if (o.has("url")) (void)o.string("url");
    const options& tls = o.object("tls");
    (void)tls.string("cert");
    (void)tls.boolean("verify");
    (void)tls.string_list("ciphers");
}

void load(std::string_view text) {
    const YAML::Node root = parse_yaml(text, file);
    // Written into the tree as the process's ARALDO_* variables would be.
    static const env_listing vars{{"ARALDO_LOG_LEVEL", "debug"}, {"ARALDO_SHUTDOWN_TIMEOUT", "1s"}};
    const config c = parse_config(root, file, environment(), vars);
    for (const auto& e : c.endpoints) {
        apply_instance_env(e, plugin_table(), "endpoint");
        validation_input in{e.node, plugin_table(), file, environment(), endpoint_reserved_keys, "endpoint"};
        read_back(validate_options(in));
    }
    for (const auto& m : c.marshallers) {
        validation_input in{m.node, plugin_table(), file, environment(), marshaller_reserved_keys, "marshaller"};
        read_back(validate_options(in));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    try {
        load(text);
    } catch (const config_error& e) {
        FUZZ_CHECK(!e.reason().empty());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "not a config_error: %s\n", e.what());
        FUZZ_CHECK(!"every refusal is a config_error");
    }
    return 0;
}
