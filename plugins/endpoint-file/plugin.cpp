// The endpoint-file plugin: one endpoint factory.
#include "file_endpoint.hpp"

#include <araldo/plugin.hpp>

namespace {

araldo::plugin_descriptor describe() {
    namespace file = araldo::plugins::endpoint_file;
    araldo::plugin_descriptor d;
    d.name = "endpoint-file";
    d.version = "0.1.0";
    d.endpoints.push_back(araldo::endpoint_factory{
        std::string(file::plugin_id),
        "Messages as lines: appends routed messages to a file or stdout, ingests lines of a file or stdin.",
        file::file_options(),
        &file::make_file_endpoint,
    });
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
