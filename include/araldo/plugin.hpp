// The plugin descriptor and the macro that exports it.
//
// A plugin .so exports two extern "C" functions: the ABI tag, checked by the
// loader before anything else, and the descriptor listing its factories. No
// exception crosses either. Plugins are never unloaded.
#pragma once

#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/export.hpp>
#include <araldo/marshaller.hpp>
#include <araldo/options.hpp>

#include <spdlog/fmt/fmt.h>  // FMT_VERSION: plugins receive spdlog::logger&
#include <openssl/opensslv.h>
#include <spdlog/version.h>
#include <boost/version.hpp>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

// Bump whenever a header in include/araldo/ changes incompatibly.
#define ARALDO_ABI_VERSION 6

namespace araldo {

// What a plugin was built against. The fields after araldo_abi are the
// libraries whose types cross the boundary (Asio and Boost.System through the
// context, spdlog::logger& and fmt through it, OpenSSL through TLS contexts). The loader reads araldo_abi
// first and the rest only when it matches: the layout may change with it.
struct abi_tag {
    std::uint32_t araldo_abi;
    std::uint32_t boost_version;   // BOOST_VERSION: 108100 is 1.81.0
    std::uint32_t gxx_abi;         // __GXX_ABI_VERSION
    std::uint32_t spdlog_version;  // major * 10000 + minor * 100 + patch
    std::uint32_t fmt_version;     // FMT_VERSION: 90100 is 9.1.0
    // OpenSSL: major * 100 + minor (3.0 keeps its ABI across patches). An
    // SSL context made in a plugin is set up by the SDK (configure_tls_client).
    std::uint32_t openssl_version;

    friend bool operator==(const abi_tag&, const abi_tag&) = default;
};

inline constexpr abi_tag current_abi_tag{ARALDO_ABI_VERSION, BOOST_VERSION, __GXX_ABI_VERSION,
                                         SPDLOG_VER_MAJOR * 10000 + SPDLOG_VER_MINOR * 100 + SPDLOG_VER_PATCH,
                                         FMT_VERSION, OPENSSL_VERSION_MAJOR * 100 + OPENSSL_VERSION_MINOR};

struct endpoint_factory {
    std::string id;  // "endpoint-websocket"
    std::string description;
    option_table options;
    // Called after the options validated; may throw (config_error via options::fail).
    std::function<std::unique_ptr<endpoint>(endpoint_context&)> create;
};

struct marshaller_factory {
    std::string id;  // "marshal-json"
    std::string description;
    option_table options;
    std::function<std::unique_ptr<marshaller>(const araldo::options&)> create;
};

// A subcommand of the araldo executable provided by a plugin, e.g.
// `araldo deadletters list -c araldo.yaml`. Runs instead of the relay, with
// the validated global settings; returns the process exit code.
struct command_context {
    const global_settings& global;
    std::vector<std::string> args;  // after the command name, without -c FILE
    std::ostream& out;
    std::ostream& err;
};

struct command {
    std::string name;   // "deadletters"
    std::string usage;  // one line per form, shown by --help
    std::function<int(command_context&)> run;
};

struct plugin_descriptor {
    std::string name;
    std::string version;
    std::vector<endpoint_factory> endpoints;
    std::vector<marshaller_factory> marshallers;
    std::vector<command> commands{};
};

}  // namespace araldo

#define ARALDO_PLUGIN_ABI_SYMBOL "araldo_plugin_abi_tag"
#define ARALDO_PLUGIN_DESCRIPTOR_SYMBOL "araldo_plugin_descriptor"

// Use once per plugin, with a function returning araldo::plugin_descriptor.
#define ARALDO_PLUGIN(make_descriptor)                                                                \
    extern "C" ARALDO_EXPORT const ::araldo::abi_tag* araldo_plugin_abi_tag() noexcept {              \
        static constexpr ::araldo::abi_tag tag = ::araldo::current_abi_tag;                           \
        return &tag;                                                                                  \
    }                                                                                                 \
    extern "C" ARALDO_EXPORT const ::araldo::plugin_descriptor* araldo_plugin_descriptor() noexcept { \
        try {                                                                                         \
            static const ::araldo::plugin_descriptor descriptor = make_descriptor();                  \
            return &descriptor;                                                                       \
        } catch (...) {                                                                               \
            return nullptr;                                                                           \
        }                                                                                             \
    }
