// Connections of the load generator: WebSocket subscribers (upgraded with blocking
// calls before the run, then read non-blocking) and the publisher.
#pragma once

#include "loadgen.hpp"
#include "tls_client.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace araldo::bench {

// Blocking TCP connect to t, TCP_NODELAY set. -1 and err on failure.
int tcp_connect(const target& t, std::string& err);

// Connects (with a TLS handshake for wss://, through `tls`) and upgrades; returns a
// non-blocking fd, with any bytes received after the 101 response in `leftover`.
// -1 and err on failure.
int ws_connect(const target& t, const tls_client* tls, tls_conn& conn, std::string& leftover, std::string& err);

struct subscriber {
    int fd = -1;
    tls_conn tls;            // empty for ws://
    std::string carry;       // an incomplete frame from the last read
    std::uint64_t next = 0;  // the sequence number expected next
    std::uint64_t last = ~0ull;
    std::uint64_t delivered = 0;  // data frames received
    std::uint64_t duplicates = 0;
    std::uint64_t out_of_order = 0;
    std::uint64_t bad = 0;     // frames whose payload is not ours
    std::uint64_t strays = 0;  // folder mode: messages of a folder it did not subscribe to
};

class publisher {
public:
    bool open(const options& o, const tls_client* tls, std::string& err);
    int fd() const { return fd_; }
    static constexpr std::uint32_t no_folder = ~0u;
    // Queues one message carrying its send time, to folder number `folder`
    // (HTTP only); flush() sends.
    void append(std::uint64_t seq, std::uint64_t stamp_ns, std::uint32_t folder = no_folder);
    bool flush();  // false: the connection failed
    bool want_write() const { return off_ < out_.size(); }
    bool on_readable();  // reads replies; false: closed or failed
    std::uint32_t in_flight() const { return in_flight_; }
    std::uint64_t ok() const { return ok_; }
    std::uint64_t errors() const { return errors_; }
    const std::string& last_error() const { return last_error_; }
    // HTTP: keep the body of every reply from now on, in order (nchan's
    // replies name the message id a subscriber resumes from).
    void keep_replies(std::vector<std::string>* into) { replies_ = into; }

private:
    bool parse_http();
    bool parse_redis();
    bool mqtt_open(const options& o, std::string& err);
    void fail(std::string what);
    long send_some(const char* p, std::size_t n);
    bool drain_tls();

    publish_kind kind_ = publish_kind::http;
    std::size_t size_ = 100;
    int fd_ = -1;
    tls_conn tls_;        // wss:// only
    std::string prefix_;  // request bytes before the payload
    // The same, split where a message's folder goes: "POST /pub" | "?folder=/f/1" | " HTTP/1.1...".
    std::string head_, tail_;
    folder_via via_ = folder_via::subscribe;
    std::string suffix_;
    std::string out_;
    std::size_t off_ = 0;
    std::string in_;
    std::uint32_t in_flight_ = 0;
    std::uint64_t ok_ = 0;
    std::uint64_t errors_ = 0;
    std::string last_error_;
    std::vector<std::string>* replies_ = nullptr;
};

}  // namespace araldo::bench
