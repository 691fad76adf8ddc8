// A measured run and what it reports.
#pragma once

#include "clients.hpp"
#include "loadgen.hpp"

#include <string>
#include <vector>

namespace araldo::bench {

struct run_result {
    std::uint64_t published = 0, publish_ok = 0, publish_errors = 0;
    std::string publish_error;
    std::uint64_t expected = 0, delivered = 0, unique = 0, duplicates = 0, out_of_order = 0, bad = 0, strays = 0;
    int closed = 0;
    double elapsed_s = 0, self_cpu_s = 0, relay_cpu_s = -1;
    double relay_kernel_share = -1;  // of the relay's pinned CPU's busy time
    long long relay_write_syscalls = -1, relay_syscw = -1;
    long rss_before_kib = -1, rss_after_kib = -1;
    int lowat_fallbacks = 0;
    bool stalled = false, timed_out = false;
    histogram latency;
    std::string tls;                // what the first subscriber negotiated; empty for ws://
    long kernel_tls_sessions = -1;  // kTLS senders on the host at the end; -1: no tls module
};

struct idle_result {
    int connected = 0;
    long rss_before_kib = -1, rss_after_kib = -1;
    std::string tls;
    long kernel_tls_sessions = -1;
};

struct resume_result {
    std::size_t clients = 0, complete = 0;  // clients that got everything they missed
    std::uint64_t expected = 0, received = 0;
    std::uint64_t recovered = 0, not_recovered = 0;  // what the second subscribed said
    std::uint64_t gaps = 0, duplicates = 0, wrong = 0, extra = 0, bad = 0, errors = 0;
    int closed = 0;
    std::string error;
    double resume_s = 0, relay_cpu_s = -1;
    std::vector<double> client_ms;  // from the first reconnect until each client had all it missed
    bool timed_out = false;
};

bool run_load(const options& o, run_result& r, std::string& err);
bool run_idle(const options& o, idle_result& r, std::string& err);
bool run_resume(const options& o, resume_result& r, std::string& err);

}  // namespace araldo::bench
