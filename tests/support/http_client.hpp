// A deliberately small blocking HTTP/1.1 client for tests (Connection: close),
// independent of the server's Beast code so it checks the wire, not our types.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace araldo::test {

struct http_reply {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;
    std::string header(const std::string& name) const;
};

// Throws std::runtime_error when the connection fails.
http_reply http_request(unsigned short port, const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::vector<std::pair<std::string, std::string>>& headers = {});

inline http_reply http_get(unsigned short port, const std::string& target) { return http_request(port, "GET", target); }

// Sends raw bytes and returns whatever the server answers before closing.
std::string raw_exchange(unsigned short port, const std::string& bytes);

}  // namespace araldo::test
