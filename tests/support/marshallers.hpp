// Marshallers as the core makes them: loaded from the build's plugin folder,
// options validated from YAML. For the marshaller suites under tests/plugins/.
#pragma once

#include "config/option_validator.hpp"
#include "config/yaml_source.hpp"
#include "plugin_loader.hpp"

#include <catch2/catch.hpp>

namespace araldo::test {

inline detail::plugin_loader& plugins() {
    static detail::plugin_loader l;
    static const bool scanned = (l.scan(ARALDO_PLUGIN_DIR), true);
    (void)scanned;
    return l;
}

inline std::unique_ptr<marshaller> make_marshaller(const std::string& id, const std::string& yaml = "{}") {
    const marshaller_factory* f = plugins().find_marshaller(id);
    REQUIRE(f);
    YAML::Node node = detail::parse_yaml(yaml, "m.yaml");
    detail::env_lookup env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    detail::validation_input in{node, f->options, "m.yaml", env, {}, id};
    return f->create(detail::validate_options(in));
}

// A message as ingress makes it: unmarshalled by `m`, which must accept it.
inline message_ptr ingress(const marshaller& m, std::string payload, bool binary = false) {
    message::fields f;
    auto r = m.unmarshal(payload, binary, f.attributes);
    REQUIRE(r.ok);
    f.payload = std::move(payload);
    f.binary = binary;
    f.format = &m;
    return make_message(std::move(f));
}

}  // namespace araldo::test
