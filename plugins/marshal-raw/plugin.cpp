// The marshal-raw plugin: one marshaller factory.
#include "raw_marshaller.hpp"

#include <araldo/plugin.hpp>

namespace {

araldo::plugin_descriptor describe() {
    namespace raw = araldo::plugins::marshal_raw;
    araldo::plugin_descriptor d;
    d.name = "marshal-raw";
    d.version = "0.1.0";
    d.marshallers.push_back(araldo::marshaller_factory{
        std::string(raw::plugin_id),
        "Accepts any bytes, text or binary, and sends them on unchanged.",
        raw::raw_options(),
        &raw::make_raw_marshaller,
    });
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
