// endpoint-link's options: the table the core validates, and the settings
// read from it. Reading touches no file or socket.
#pragma once

#include <araldo/backoff.hpp>
#include <araldo/context.hpp>
#include <araldo/options.hpp>
#include <araldo/tls.hpp>
#include <araldo/units.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace araldo::plugins::endpoint_link {

enum class link_role { client, server };

struct link_settings {
    link_role role = link_role::client;
    // client: wss://host:port/path
    std::string url;
    std::string host;
    std::string port;
    std::string path;
    std::optional<araldo::tls_client_config> tls;
    std::string peer_name;  // link.peer of what the hub sends
    araldo::backoff_settings reconnect;
    araldo::duration connect_timeout{};
    // server
    std::string accept_path;
    araldo::string_pairs peers;  // CN -> name
    // both
    araldo::duration heartbeat{};
    araldo::duration heartbeat_timeout{};
    std::size_t send_queue = 0;
    std::uint64_t max_message_size = 0;
};

araldo::option_table link_options();
link_settings read_link_settings(const araldo::options& opts, const araldo::global_settings& global);

}  // namespace araldo::plugins::endpoint_link
