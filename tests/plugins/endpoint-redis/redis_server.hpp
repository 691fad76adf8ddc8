// A real redis-server for tests, on a free loopback port (plain or TLS), started
// as a child process (so its pid is ours to stop), and a tiny blocking client
// on hiredis's synchronous API to drive a plain one from the test (redis_cli.hpp
// drives a TLS one).
#pragma once

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct redisContext;

namespace araldo::test {

class redis_server {
public:
    // TLS only (`--port 0 --tls-port P`), with a PKI of its own (make_test_pki).
    struct tls_options {
        bool auth_clients = true;     // --tls-auth-clients yes|no: a client certificate from ca.pem is required
        std::string cert = "server";  // the server presents <cert>.pem and <cert>.key of the PKI
    };

    // `extra` is appended to redis-server's arguments ("--requirepass", "x").
    explicit redis_server(std::vector<std::string> extra = {});
    redis_server(std::vector<std::string> extra, tls_options tls);
    ~redis_server();
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    unsigned short port() const { return port_; }
    std::string url() const { return (tls_ ? "rediss://127.0.0.1:" : "redis://127.0.0.1:") + std::to_string(port_); }
    // The TLS server's PKI: ca.pem, client.pem/.key, other-ca.pem... (empty dir without TLS).
    const test_pki& pki() const { return pki_; }

    // SIGKILL, waits for the process to end.
    void kill();
    // Starts again on the same port, waits until it answers.
    void start();

private:
    std::vector<std::string> argv() const;
    bool answers() const;

    temp_dir dir_;
    std::vector<std::string> extra_;
    std::optional<tls_options> tls_;
    test_pki pki_;
    unsigned short port_;
    std::unique_ptr<child_process> proc_;
};

// A pushed message as a plain subscriber sees it.
struct redis_push {
    std::string kind;  // "message" or "pmessage"
    std::string pattern;
    std::string channel;
    std::string payload;
};

class redis_client {
public:
    // Connects (and AUTHs when `password` is given); throws on failure.
    explicit redis_client(unsigned short port, const std::string& password = {}, const std::string& user = {});
    ~redis_client();
    redis_client(const redis_client&) = delete;
    redis_client& operator=(const redis_client&) = delete;

    // One command. Replies are returned as text: status and bulk strings as
    // they are, integers in decimal, errors prefixed with "-", arrays as
    // their elements joined by '\n'.
    std::string command(const std::vector<std::string>& args);
    // Every PUBLISH written before the first reply is read; returns the replies.
    std::vector<std::string> publish_all(const std::string& channel, const std::vector<std::string>& payloads);

    // SUBSCRIBE / PSUBSCRIBE and wait for the confirmations.
    void subscribe(const std::vector<std::string>& channels, bool patterns = false);
    // The next message on a subscribed connection; nullopt after `timeout`
    // (the connection is unusable afterwards).
    std::optional<redis_push> next_message(std::chrono::milliseconds timeout = std::chrono::seconds(20));

private:
    redisContext* ctx_ = nullptr;
};

// Polls /metrics of a relay for one sample's value; -1 when absent.
double metric(unsigned short relay_port, const std::string& sample);

// How /_health/?full lists a connection (`role`: subscriber or publisher) of
// the endpoint named `bus` that is down, up to the time it went down.
std::string down_problem(const std::string& role, const std::string& url);

// The lines of a file written by endpoint-file (empty when it does not exist).
std::vector<std::string> file_lines(const std::string& path);

class relay;
// Every problem gone (Redis connected): the detail view, not liveness.
bool healthy(const relay& r);

// A relay config with an endpoint-redis `bus` on `url` (its `options` as a
// YAML flow mapping's inside, e.g. "subscribe: [in], publish: out"), an
// endpoint-file `src` reading stdin routed to it, and `bus` routed to an
// endpoint-file `dst` writing {DIR}/out.txt.
std::string bus_config(const std::string& url, const std::string& options);

// The documented policy of repeated warnings (docs/operations.md, Logs): the
// 1st, 2nd, 4th, 8th... and every 1000th occurrence is logged.
bool logged_occurrence(std::uint64_t n);

// N of each "... (N in this outage)" line of `log` that contains `needle`,
// in their order: how many failures of its reason a logged retry line says.
std::vector<std::uint64_t> outage_counts(const std::string& log, const std::string& needle);

}  // namespace araldo::test
