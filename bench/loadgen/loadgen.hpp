// The load generator's parts: options, the payload format, the latency histogram,
// the process probes. One thread, one epoll loop (run.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::bench {

enum class publish_kind { http, redis, ws, mqtt };
enum class ack_mode { all, one };
// How a subscriber chooses its folders and a message names its folder
// (--folders): araldo's subscribe request and ?folder=, or nchan's channel
// ids in the URL (a multiplexed subscriber: /sub/f1,f2; a publisher: /pub/f1).
enum class folder_via { subscribe, path };

struct target {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string path = "/";  // for redis://host:port/<channel> and mqtt://host:port/<topic>: the name
    bool tls = false;        // wss://
};

struct options {
    target sub;
    publish_kind pub_kind = publish_kind::http;
    target pub;
    int subscribers = 10;
    std::uint64_t messages = 1000;
    std::size_t size = 100;
    double rate = 0;              // messages per second; 0: as fast as the window allows
    std::uint32_t window = 1000;  // published, not yet acknowledged messages at most
    std::uint32_t pipeline = 64;  // publish requests awaiting their reply at most
    ack_mode ack = ack_mode::all;
    int lowat = 16384;  // SO_RCVLOWAT for subscribers when running as fast as possible
    int relay_pid = 0;
    double timeout_s = 60;
    int settle_ms = 200;
    int drain_ms = 2000;
    bool idle = false;  // memory mode: connect, measure the relay's RSS, leave
    int idle_settle_ms = 1000;
    bool perf = false;  // count the relay's write syscalls with perf stat
    std::string ca;     // trusted by wss:// clients; empty: the system's store
    std::string label;
    // Folder mode: message k goes to folder k % folders; subscriber i hears
    // folder_subs of them (subscriber_folder()). 0: no folders.
    std::uint32_t folders = 0;
    std::uint32_t folder_subs = 1;
    // stride: subscriber i hears i, i + F/K, i + 2F/K... (mod F), so messages
    // published one after the other reach different clients, as when a
    // client's folders have nothing to do with the order messages come in;
    // block: it hears the K consecutive folders from i * K, so that it gets
    // its messages in bursts of K, the easiest case for batching writes.
    bool folder_block = false;
    folder_via via = folder_via::subscribe;
    // Resume mode (araldo): subscribe, disconnect everyone, publish `behind`
    // messages per folder, reconnect everyone at once with "since".
    bool resume = false;
    std::uint32_t behind = 50;
};

// The j-th folder (j < folder_subs) that subscriber i hears, and whether it hears folder f.
std::uint32_t subscriber_folder(const options& o, std::uint64_t i, std::uint32_t j);
bool subscriber_hears(const options& o, std::uint64_t i, std::uint64_t f);

// The folder of folder number n, as araldo and as nchan name it.
std::string folder_name(std::uint32_t n);         // /f/17
std::string nchan_channel_name(std::uint32_t n);  // f17

// Throws std::invalid_argument with a message meant for the user.
options parse_options(int argc, char** argv);
bool parse_url(std::string_view url, std::string& scheme, target& t);

// The payload is JSON so that a validating relay accepts it, with fixed offsets so
// that a subscriber reads the sequence number and the send time without parsing:
// {"s":"0000000042","t":"00000001234567890123","p":"xxxx..."}
inline constexpr std::size_t payload_min_size = 52;
void write_payload(char* out, std::size_t size, std::uint64_t seq, std::uint64_t sent_ns);
bool read_payload(const char* p, std::size_t n, std::uint64_t& seq, std::uint64_t& sent_ns);

std::uint64_t now_ns();

// Log-linear histogram of microseconds: exact below 1024 µs, then 64 steps per power of two.
class histogram {
public:
    void add(std::uint64_t us);
    std::uint64_t percentile(double p) const;
    std::uint64_t max() const { return max_; }
    std::uint64_t count() const { return count_; }

private:
    static constexpr std::size_t linear_ = 1024;
    static constexpr std::size_t steps_ = 64;
    static constexpr std::size_t powers_ = 44;
    std::vector<std::uint64_t> buckets_ = std::vector<std::uint64_t>(linear_ + steps_ * powers_);
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
};

// CPU time of a process (all threads) in seconds; -1 when it cannot be read.
double process_cpu_s(int pid);
// The ticks of the one CPU a process is pinned to, in user space and in the kernel
// (system, irq, softirq: on loopback the receiving socket's TCP work runs in the
// sender's system call). {-1, -1} when it is not pinned to exactly one CPU.
struct cpu_ticks {
    long long user = -1, kernel = -1;
};
cpu_ticks pinned_cpu_ticks(int pid);
// The kernel's share of a pinned CPU's busy ticks between two samples; -1 if unknown.
double kernel_share(const cpu_ticks& before, const cpu_ticks& after);
double self_cpu_s();
long process_rss_kib(int pid);
// write-like syscalls counted by the kernel's I/O accounting (write, writev; not sendmsg).
long long process_syscw(int pid);
// TLS connections whose sending the kernel does (kTLS, /proc/net/tls_stat); the
// generator's own never do. -1 when the kernel has no tls module loaded.
long kernel_tls_sessions();

// perf stat attached to a pid, counting its write-like syscalls until stop().
class syscall_counter {
public:
    bool start(int pid);
    long long stop();  // -1 when perf was not available or failed
private:
    int child_ = -1;
    std::string file_;
};

}  // namespace araldo::bench
