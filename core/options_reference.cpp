#include "options_reference.hpp"

#include "config/config.hpp"
#include "config/option_rules.hpp"

#include <algorithm>

namespace araldo::detail {
namespace {

std::string cell(std::string text) {
    std::string out;
    for (char c : text) {
        if (c == '|') out += "\\|";
        else if (c == '\n') out += ' ';
        else out += c;
    }
    return out;
}

void render_table(std::string& out, const option_table& table, const std::string& prefix) {
    for (const auto& spec : table) {
        std::string def = spec.required ? "required" : spec.default_value ? "`" + *spec.default_value + "`" : "—";
        if (spec.default_value && spec.default_value->empty()) def = "`\"\"`";
        std::string type(to_string(spec.type));
        if (auto rules = describe_rules(spec); !rules.empty()) type += ", " + rules;
        out += "| `" + prefix + spec.name + "` | " + cell(type) + " | " + cell(def) + " | " + cell(spec.description) +
               " |\n";
        if (spec.type == option_type::object) render_table(out, spec.fields, prefix + spec.name + ".");
        if (spec.type == option_type::object_list) render_table(out, spec.fields, prefix + spec.name + "[].");
    }
}

void render_section(std::string& out, const std::string& title, const std::string& description,
                    const option_table& table) {
    out += "### " + title + "\n\n";
    if (!description.empty()) out += description + "\n\n";
    if (table.empty()) {
        out += "No options.\n\n";
        return;
    }
    out += "| option | type | default | description |\n|---|---|---|---|\n";
    render_table(out, table, "");
    out += "\n";
}

}  // namespace

std::string options_reference(const plugin_loader& loader) {
    std::string out;
    render_section(out, "global",
                   "The `global:` section. Each setting can also come from the environment as "
                   "`ARALDO_<SETTING>` (upper case, `-` as `_`: `ARALDO_SHUTDOWN_TIMEOUT`), over the file.",
                   global_option_table());
    auto ids = loader.marshaller_ids();
    std::sort(ids.begin(), ids.end());
    for (const auto& id : ids) {
        const auto* f = loader.find_marshaller(id);
        render_section(out, id + " (marshaller)", f->description, f->options);
    }
    ids = loader.endpoint_ids();
    std::sort(ids.begin(), ids.end());
    for (const auto& id : ids) {
        const auto* f = loader.find_endpoint(id);
        std::string desc = f->description;
        desc += (desc.empty() ? "" : "\n\n") + std::string("Every endpoint also takes `name`, `id` and `marshalling`.");
        render_section(out, id + " (endpoint)", desc, f->options);
    }
    return out;
}

}  // namespace araldo::detail
