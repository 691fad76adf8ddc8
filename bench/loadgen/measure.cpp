// Payload format, histogram and the probes that read another process's costs.
#include "loadgen.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace araldo::bench {

std::uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

namespace {

void put_digits(char* out, std::size_t width, std::uint64_t v) {
    for (std::size_t i = width; i-- > 0;) {
        out[i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
}

bool get_digits(const char* p, std::size_t width, std::uint64_t& v) {
    v = 0;
    for (std::size_t i = 0; i < width; ++i) {
        const unsigned d = static_cast<unsigned char>(p[i]) - '0';
        if (d > 9) return false;
        v = v * 10 + d;
    }
    return true;
}

}  // namespace

void write_payload(char* out, std::size_t size, std::uint64_t seq, std::uint64_t sent_ns) {
    std::memcpy(out, "{\"s\":\"", 6);
    put_digits(out + 6, 10, seq);
    std::memcpy(out + 16, "\",\"t\":\"", 7);
    put_digits(out + 23, 20, sent_ns);
    std::memcpy(out + 43, "\",\"p\":\"", 7);
    std::memset(out + 50, 'x', size - payload_min_size);
    std::memcpy(out + size - 2, "\"}", 2);
}

bool read_payload(const char* p, std::size_t n, std::uint64_t& seq, std::uint64_t& sent_ns) {
    if (n < payload_min_size || p[0] != '{' || p[16] != '"' || p[43] != '"') return false;
    return get_digits(p + 6, 10, seq) && get_digits(p + 23, 20, sent_ns);
}

void histogram::add(std::uint64_t us) {
    ++count_;
    max_ = std::max(max_, us);
    if (us < linear_) {
        ++buckets_[us];
        return;
    }
    const unsigned e = static_cast<unsigned>(std::bit_width(us)) - 1;  // >= 10
    const std::size_t idx = linear_ + (e - 10) * steps_ + ((us >> (e - 6)) & (steps_ - 1));
    ++buckets_[std::min(idx, buckets_.size() - 1)];
}

std::uint64_t histogram::percentile(double p) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(count_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        seen += buckets_[i];
        if (seen < rank) continue;
        if (i < linear_) return i;
        const std::size_t e = (i - linear_) / steps_ + 10;
        const std::size_t m = (i - linear_) % steps_;
        return std::min<std::uint64_t>(max_, (steps_ + m) << (e - 6));
    }
    return max_;
}

namespace {

// Sum over threads of /proc/<pid>/task/<tid>/schedstat (ns on CPU): finer than
// the clock ticks of /proc/<pid>/stat.
double schedstat_cpu_s(int pid) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return -1;
    double total = 0;
    bool any = false;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::ifstream f(dir + "/" + e->d_name + "/schedstat");
        unsigned long long ns = 0;
        if (f >> ns) {
            total += static_cast<double>(ns) / 1e9;
            any = true;
        }
    }
    closedir(d);
    return any ? total : -1;
}

}  // namespace

double process_cpu_s(int pid) {
    if (pid <= 0) return -1;
    const double s = schedstat_cpu_s(pid);
    if (s >= 0) return s;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(f, line)) return -1;
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream in(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

cpu_ticks pinned_cpu_ticks(int pid) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (pid <= 0 || sched_getaffinity(pid, sizeof set, &set) != 0 || CPU_COUNT(&set) != 1) return {};
    int cpu = 0;
    while (!CPU_ISSET(cpu, &set)) ++cpu;
    std::ifstream f("/proc/stat");
    const std::string name = "cpu" + std::to_string(cpu);
    std::string label;
    while (f >> label) {
        if (label != name) {
            f.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
            continue;
        }
        long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
        if (!(f >> user >> nice >> system >> idle >> iowait >> irq >> softirq)) return {};
        return {user + nice, system + irq + softirq};
    }
    return {};
}

double kernel_share(const cpu_ticks& before, const cpu_ticks& after) {
    if (before.user < 0 || after.user < 0) return -1;
    const long long user = after.user - before.user, kernel = after.kernel - before.kernel;
    return user + kernel > 0 ? static_cast<double>(kernel) / static_cast<double>(user + kernel) : -1;
}

double self_cpu_s() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

long process_rss_kib(int pid) {
    if (pid <= 0) return -1;
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

long long process_syscw(int pid) {
    if (pid <= 0) return -1;
    std::ifstream f("/proc/" + std::to_string(pid) + "/io");
    std::string key;
    long long v = 0;
    while (f >> key >> v) {
        if (key == "syscw:") return v;
    }
    return -1;
}

bool syscall_counter::start(int pid) {
    if (pid <= 0) return false;
    char tmpl[] = "/tmp/loadgen-perf-XXXXXX";
    const int fd = mkstemp(tmpl);
    if (fd < 0) return false;
    close(fd);
    file_ = tmpl;
    const std::string p = std::to_string(pid);
    child_ = fork();
    if (child_ == 0) {
        const int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execlp("perf", "perf", "stat", "-x", ",", "-o", file_.c_str(), "-e",
               "syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_sendmsg,"
               "syscalls:sys_enter_sendto,syscalls:sys_enter_sendmmsg",
               "-p", p.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    // perf needs a moment to attach; counting starts before the first publish.
    usleep(300'000);
    return child_ > 0;
}

long long syscall_counter::stop() {
    if (child_ <= 0) return -1;
    kill(child_, SIGINT);
    int status = 0;
    waitpid(child_, &status, 0);
    child_ = -1;
    std::ifstream f(file_);
    std::string line;
    long long total = 0;
    bool any = false;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#' || line.find("syscalls:") == std::string::npos) continue;
        if (line[0] < '0' || line[0] > '9') continue;  // <not counted>, <not supported>
        total += std::stoll(line.substr(0, line.find(',')));
        any = true;
    }
    unlink(file_.c_str());
    return any ? total : -1;
}

}  // namespace araldo::bench

namespace araldo::bench {

long kernel_tls_sessions() {
    std::ifstream f("/proc/net/tls_stat");
    if (!f) return -1;
    std::string key;
    long v = 0, total = 0;
    while (f >> key >> v) {
        if (key == "TlsCurrTxSw" || key == "TlsCurrTxDevice") total += v;
    }
    return total;
}

}  // namespace araldo::bench
