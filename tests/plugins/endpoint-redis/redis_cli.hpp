// redis-cli as the test's client of a TLS redis_server: the hiredis this tree
// builds against has no TLS. It presents the server PKI's client certificate
// and trusts its ca.pem.
#pragma once

#include "support/process.hpp"

#include <memory>
#include <string>
#include <vector>

namespace araldo::test {

class redis_server;

class redis_cli {
public:
    explicit redis_cli(const redis_server& server);

    // One command; the reply as redis-cli prints it to a pipe (raw: "PONG",
    // "1", the payload), without the final newline. Empty when it could not
    // connect.
    std::string command(const std::vector<std::string>& args) const;

    std::vector<std::string> argv(const std::vector<std::string>& args) const;

private:
    std::string dir_;  // the server's, for the PKI and redis-cli's captured output
    unsigned short port_;
};

// `redis-cli SUBSCRIBE` running beside the test.
class redis_cli_subscriber {
public:
    // Returns once every channel is confirmed subscribed; throws if not in time.
    redis_cli_subscriber(const redis_server& server, const std::vector<std::string>& channels);

    // The payloads of the messages received so far, in order.
    std::vector<std::string> payloads() const;

private:
    std::vector<std::string> lines() const;

    std::unique_ptr<child_process> proc_;
};

}  // namespace araldo::test
