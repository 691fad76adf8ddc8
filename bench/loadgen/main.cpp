// loadgen: WebSocket fan-out load generator. One JSON line on stdout per run, a
// human summary on stderr. Exit: 0 complete, 3 incomplete (losses, stall,
// timeout), 1 setup failure, 2 usage.
#include "run.hpp"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace araldo::bench;

int print_free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        std::perror("free port");
        return 1;
    }
    std::printf("%u\n", ntohs(a.sin_port));
    close(fd);
    return 0;
}

void raise_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
        out += c;
    }
    return out + "\"";
}

const char* kind_name(publish_kind k) {
    switch (k) {
        case publish_kind::http: return "http";
        case publish_kind::redis: return "redis";
        case publish_kind::mqtt: return "mqtt";
        case publish_kind::ws: break;
    }
    return "ws";
}

double per(double a, double b) { return b > 0 && a >= 0 ? a / b : -1; }

int report_load(const options& o, const run_result& r) {
    const double deliveries = static_cast<double>(r.unique);
    const double relay_us = per(r.relay_cpu_s * 1e6, deliveries);
    const double self_us = per(r.self_cpu_s * 1e6, deliveries);
    const double writes = per(static_cast<double>(r.relay_write_syscalls), deliveries);
    const auto lost = r.expected > r.unique ? r.expected - r.unique : 0;
    const double lat[4] = {static_cast<double>(r.latency.percentile(50)), static_cast<double>(r.latency.percentile(90)),
                           static_cast<double>(r.latency.percentile(99)), static_cast<double>(r.latency.max())};
    std::printf(
        "{\"label\":%s,\"mode\":\"load\",\"publish\":\"%s\",\"subscribers\":%d,\"folders\":%u,\"folder_subs\":%u,"
        "\"folder_spread\":\"%s\","
        "\"messages\":%llu,\"size\":%zu,"
        "\"rate\":%g,\"window\":%u,\"published\":%llu,\"publish_ok\":%llu,\"publish_errors\":%llu,"
        "\"publish_error\":%s,\"expected\":%llu,\"delivered\":%llu,\"lost\":%llu,\"duplicates\":%llu,"
        "\"out_of_order\":%llu,\"bad_frames\":%llu,\"strays\":%llu,\"closed\":%d,\"elapsed_s\":%.6f,\"msgs_per_s\":%."
        "1f,"
        "\"deliveries_per_s\":%.1f,\"lat_us\":{\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f,\"max\":%.0f},"
        "\"gen_cpu_s\":%.4f,\"gen_cpu_util\":%.3f,\"gen_cpu_us_per_delivery\":%.3f,\"relay_cpu_s\":%.4f,"
        "\"relay_cpu_util\":%.3f,\"relay_cpu_us_per_delivery\":%.3f,\"relay_kernel_share\":%.3f,"
        "\"relay_kernel_us_per_delivery\":%.3f,\"relay_write_syscalls\":%lld,"
        "\"relay_writes_per_delivery\":%.4f,\"relay_syscw\":%lld,\"relay_rss_kib_before\":%ld,"
        "\"relay_rss_kib_after\":%ld,\"lowat_fallbacks\":%d,\"stalled\":%s,\"timed_out\":%s,\"tls\":%s,"
        "\"kernel_tls_sessions\":%ld}\n",
        json_string(o.label).c_str(), kind_name(o.pub_kind), o.subscribers, o.folders, o.folder_subs,
        o.folder_block ? "block" : "stride", static_cast<unsigned long long>(o.messages), o.size, o.rate, o.window,
        static_cast<unsigned long long>(r.published), static_cast<unsigned long long>(r.publish_ok),
        static_cast<unsigned long long>(r.publish_errors), json_string(r.publish_error).c_str(),
        static_cast<unsigned long long>(r.expected), static_cast<unsigned long long>(r.unique),
        static_cast<unsigned long long>(lost), static_cast<unsigned long long>(r.duplicates),
        static_cast<unsigned long long>(r.out_of_order), static_cast<unsigned long long>(r.bad),
        static_cast<unsigned long long>(r.strays), r.closed, r.elapsed_s,
        per(static_cast<double>(r.published), r.elapsed_s), per(deliveries, r.elapsed_s), lat[0], lat[1], lat[2],
        lat[3], r.self_cpu_s, per(r.self_cpu_s, r.elapsed_s), self_us, r.relay_cpu_s, per(r.relay_cpu_s, r.elapsed_s),
        relay_us, r.relay_kernel_share, r.relay_kernel_share >= 0 && relay_us >= 0 ? relay_us * r.relay_kernel_share : -1,
        r.relay_write_syscalls, writes, r.relay_syscw, r.rss_before_kib, r.rss_after_kib, r.lowat_fallbacks,
        r.stalled ? "true" : "false", r.timed_out ? "true" : "false", json_string(r.tls).c_str(),
        r.kernel_tls_sessions);
    // Before the summary: bench/run shows the log's last line.
    if (!r.tls.empty()) std::fprintf(stderr, "tls: %s\n", r.tls.c_str());
    std::fprintf(stderr,
                 "%s: %llu/%llu delivered (lost %llu, dup %llu, ooo %llu) in %.3f s: %.0f deliveries/s; "
                 "latency p50 %.0f p90 %.0f p99 %.0f max %.0f us; relay %.3f us/delivery, %.3f writes/delivery; "
                 "generator %.3f us/delivery (%.0f%% of a core)%s%s\n",
                 o.label.empty() ? "run" : o.label.c_str(), static_cast<unsigned long long>(r.unique),
                 static_cast<unsigned long long>(r.expected), static_cast<unsigned long long>(lost),
                 static_cast<unsigned long long>(r.duplicates), static_cast<unsigned long long>(r.out_of_order),
                 r.elapsed_s, per(deliveries, r.elapsed_s), lat[0], lat[1], lat[2], lat[3], relay_us, writes, self_us,
                 100 * per(r.self_cpu_s, r.elapsed_s), r.stalled ? " STALLED" : "", r.timed_out ? " TIMED OUT" : "");
    if (!r.publish_error.empty()) std::fprintf(stderr, "  publisher: %s\n", r.publish_error.c_str());
    if (r.strays > 0)
        std::fprintf(stderr, "  %llu messages reached subscribers of other folders\n",
                     static_cast<unsigned long long>(r.strays));
    return lost == 0 && r.duplicates == 0 && r.strays == 0 && r.publish_errors == 0 ? 0 : 3;
}

int report_idle(const options& o, const idle_result& r) {
    const double per_conn = r.connected > 0 && r.rss_before_kib >= 0
                                ? static_cast<double>(r.rss_after_kib - r.rss_before_kib) / r.connected
                                : -1;
    std::printf(
        "{\"label\":%s,\"mode\":\"idle\",\"connections\":%d,\"connected\":%d,\"relay_rss_kib_before\":%ld,"
        "\"relay_rss_kib_after\":%ld,\"kib_per_connection\":%.3f,\"tls\":%s,\"kernel_tls_sessions\":%ld}\n",
        json_string(o.label).c_str(), o.subscribers, r.connected, r.rss_before_kib, r.rss_after_kib, per_conn,
        json_string(r.tls).c_str(), r.kernel_tls_sessions);
    if (!r.tls.empty()) std::fprintf(stderr, "tls: %s\n", r.tls.c_str());
    std::fprintf(stderr, "%s: %d/%d connections, relay RSS %ld -> %ld KiB: %.3f KiB per connection\n",
                 o.label.empty() ? "idle" : o.label.c_str(), r.connected, o.subscribers, r.rss_before_kib,
                 r.rss_after_kib, per_conn);
    return r.connected == o.subscribers ? 0 : 3;
}

double percentile_of(std::vector<double> v, double p) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1))];
}

int report_resume(const options& o, const resume_result& r) {
    const double deliveries = static_cast<double>(r.received);
    const double p50 = percentile_of(r.client_ms, 50), p99 = percentile_of(r.client_ms, 99),
                 max = percentile_of(r.client_ms, 100);
    const auto lost = r.expected - r.received;
    std::printf(
        "{\"label\":%s,\"mode\":\"resume\",\"subscribers\":%zu,\"folders\":%u,\"behind\":%u,\"complete\":%zu,"
        "\"expected\":%llu,\"delivered\":%llu,\"lost\":%llu,\"recovered\":%llu,\"not_recovered\":%llu,"
        "\"gaps\":%llu,\"duplicates\":%llu,\"wrong\":%llu,\"extra\":%llu,\"bad_frames\":%llu,\"errors\":%llu,"
        "\"error\":%s,\"closed\":%d,\"resume_s\":%.6f,\"resume_ms\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},"
        "\"deliveries_per_s\":%.1f,\"relay_cpu_s\":%.4f,\"relay_cpu_us_per_delivery\":%.3f,\"timed_out\":%s}\n",
        json_string(o.label).c_str(), r.clients, o.folders, o.behind, r.complete,
        static_cast<unsigned long long>(r.expected), static_cast<unsigned long long>(r.received),
        static_cast<unsigned long long>(lost), static_cast<unsigned long long>(r.recovered),
        static_cast<unsigned long long>(r.not_recovered), static_cast<unsigned long long>(r.gaps),
        static_cast<unsigned long long>(r.duplicates), static_cast<unsigned long long>(r.wrong),
        static_cast<unsigned long long>(r.extra), static_cast<unsigned long long>(r.bad),
        static_cast<unsigned long long>(r.errors), json_string(r.error).c_str(), r.closed, r.resume_s, p50, p99, max,
        per(deliveries, r.resume_s), r.relay_cpu_s, per(r.relay_cpu_s * 1e6, deliveries),
        r.timed_out ? "true" : "false");
    std::fprintf(stderr,
                 "%s: %zu/%zu clients resumed (%llu recovered, %llu not), %llu/%llu missed messages in %.1f ms "
                 "(per client p50 %.1f p99 %.1f max %.1f ms); gaps %llu dup %llu wrong %llu extra %llu%s\n",
                 o.label.empty() ? "resume" : o.label.c_str(), r.complete, r.clients,
                 static_cast<unsigned long long>(r.recovered), static_cast<unsigned long long>(r.not_recovered),
                 static_cast<unsigned long long>(r.received), static_cast<unsigned long long>(r.expected),
                 r.resume_s * 1e3, p50, p99, max, static_cast<unsigned long long>(r.gaps),
                 static_cast<unsigned long long>(r.duplicates), static_cast<unsigned long long>(r.wrong),
                 static_cast<unsigned long long>(r.extra), r.timed_out ? " TIMED OUT" : "");
    if (!r.error.empty()) std::fprintf(stderr, "  %s\n", r.error.c_str());
    const bool clean = r.complete == r.clients && r.recovered == r.clients && r.gaps == 0 && r.duplicates == 0 &&
                       r.wrong == 0 && r.extra == 0 && r.bad == 0 && r.errors == 0;
    return clean ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::string(argv[1]) == "--free-port") return print_free_port();
    options o;
    try {
        o = parse_options(argc, argv);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "loadgen: %s\n", e.what());
        return 2;
    }
    raise_fd_limit();
    std::string err;
    if (o.idle) {
        idle_result r;
        const bool ok = run_idle(o, r, err);
        if (!ok) std::fprintf(stderr, "loadgen: %s\n", err.c_str());
        return report_idle(o, r);
    }
    if (o.resume) {
        resume_result r;
        if (!run_resume(o, r, err)) {
            std::fprintf(stderr, "loadgen: %s\n", err.c_str());
            return 1;
        }
        std::fflush(stdout);
        return report_resume(o, r);
    }
    run_result r;
    if (!run_load(o, r, err)) {
        std::fprintf(stderr, "loadgen: %s\n", err.c_str());
        return 1;
    }
    std::fflush(stdout);
    return report_load(o, r);
}
