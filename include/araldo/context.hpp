// What a factory receives: everything an endpoint needs from the core.
//
// Ownership: the core owns the context and keeps it alive as long as the
// endpoint made from it; endpoints keep a reference.
#pragma once

#include <araldo/export.hpp>
#include <araldo/http.hpp>
#include <araldo/marshaller.hpp>
#include <araldo/message.hpp>
#include <araldo/metrics.hpp>
#include <araldo/options.hpp>
#include <araldo/units.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace araldo {

// The global: section, after substitution and environment overrides.
struct global_settings {
    std::string config_file;
    std::string bind = "127.0.0.1";
    std::uint16_t server_port = 54321;
    std::string log_level = "info";
    std::vector<std::string> plugin_dirs;
    araldo::duration shutdown_timeout = std::chrono::seconds(5);
    std::string data_dir;    // where endpoints persist state; empty: ./data
    std::string static_dir;  // files served at "/"; empty: none
    std::string admin_token;
    // Unique per process start (26 characters): tells this relay's own
    // messages apart from another node's on a shared bus.
    std::string node_id;
};

// A path from the config, as the relay and every CLI command use it: a
// relative path means the config file's folder, whoever runs araldo from
// wherever. Absolute and empty paths come back as they are. Plugins resolve
// their own path options with it (files, sockets, CA and key files), as the
// core does for data-dir and static-dir.
ARALDO_EXPORT std::string resolve_config_path(const global_settings& global, std::string_view path);

// The outcome of handing inbound bytes to the router.
struct ingest_result {
    message_ptr msg;    // null when the bytes or the id were rejected
    std::string error;  // why they were rejected, for the sender
    // The first durable target (see delivery_result::refused) that could not
    // take the routed message; empty when every durable target took it. An
    // ingress that confirms delivery to its sender must not confirm then.
    std::string refused_by;
    explicit operator bool() const noexcept { return msg != nullptr; }
};

class ARALDO_EXPORT endpoint_context {
public:
    virtual ~endpoint_context();

    virtual const std::string& name() const = 0;
    virtual const options& opts() const = 0;
    virtual const global_settings& global() const = 0;
    virtual asio::any_io_executor executor() const = 0;
    // The logger named "endpoint/<name>".
    virtual spdlog::logger& log() const = 0;
    // The marshaller named by the endpoint's `marshalling` option (pass-through without one).
    virtual const marshaller& marshalling() const = 0;
    virtual http_registry& http() = 0;
    virtual metrics_registry& metrics() = 0;

    // Ingress: unmarshal the bytes with marshalling(), then route them with
    // this endpoint as source. Rejections are counted and logged here.
    virtual ingest_result ingest(std::string payload, bool binary, attributes attrs = {}) = 0;

    // Ingress of an already-built message (source is forced to name()).
    virtual message_ptr emit(message::fields f) = 0;

    // Ingress with an id and attributes of the caller's: f.payload is
    // unmarshalled with marshalling() (unless f.format is already set), the
    // attributes the marshaller lifts come first and f.attributes override
    // them, f.id must pass valid_message_id() (empty: a new id), and the
    // message is routed with this endpoint as source. Rejections are counted
    // and logged as ingest() does; refused_by reports a durable refusal.
    virtual ingest_result ingest(message::fields f) = 0;
};

}  // namespace araldo
