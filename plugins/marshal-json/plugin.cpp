// The marshal-json plugin: one marshaller factory.
#include "json_marshaller.hpp"

#include <araldo/plugin.hpp>

namespace {

araldo::plugin_descriptor describe() {
    namespace mj = araldo::plugins::marshal_json;
    araldo::plugin_descriptor d;
    d.name = "marshal-json";
    d.version = "0.1.0";
    d.marshallers.push_back(araldo::marshaller_factory{
        std::string(mj::plugin_id),
        "Validates JSON at ingress and lifts top-level \"type\" and \"folder\" fields into the attributes of "
        "those names.",
        mj::json_options(),
        &mj::make_json_marshaller,
    });
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
