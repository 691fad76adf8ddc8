// A measured run and what it reports.
#pragma once

#include "clients.hpp"
#include "loadgen.hpp"

#include <string>

namespace araldo::bench {

struct run_result {
    std::uint64_t published = 0, publish_ok = 0, publish_errors = 0;
    std::string publish_error;
    std::uint64_t expected = 0, delivered = 0, unique = 0, duplicates = 0, out_of_order = 0, bad = 0;
    int closed = 0;
    double elapsed_s = 0, self_cpu_s = 0, relay_cpu_s = -1;
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

bool run_load(const options& o, run_result& r, std::string& err);
bool run_idle(const options& o, idle_result& r, std::string& err);

}  // namespace araldo::bench
