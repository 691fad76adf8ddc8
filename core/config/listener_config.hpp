// global.listeners as the core reads them: each a name, an address and a
// port, plain or TLS. Without global.listeners, server-port and bind make the
// one plain listener named "default".
#pragma once

#include <araldo/error.hpp>
#include <araldo/units.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace araldo::detail {

enum class client_cert_mode { none, optional, required };

struct tls_listener_config {
    std::string cert;  // PEM chain, resolved against the config's folder
    std::string key;
    std::string ca;  // verifies client certificates; set exactly when client_certs is not none
    client_cert_mode client_certs = client_cert_mode::none;
    std::string min_version = "1.2";  // "1.2" or "1.3"
    araldo::duration handshake_timeout = std::chrono::seconds(10);
    source_mark mark;  // of the tls block, for errors loading its files
};

struct listener_config {
    std::string name = "default";
    std::string bind = "127.0.0.1";
    std::uint16_t port = 0;
    std::optional<tls_listener_config> tls;
    source_mark mark;
};

}  // namespace araldo::detail
