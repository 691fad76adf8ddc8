#include "loadgen.hpp"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace araldo::bench {

bool parse_url(std::string_view url, std::string& scheme, target& t) {
    const std::size_t sep = url.find("://");
    if (sep == std::string_view::npos) return false;
    scheme = std::string(url.substr(0, sep));
    std::string_view rest = url.substr(sep + 3);
    const std::size_t slash = rest.find('/');
    const std::string_view hostport = rest.substr(0, slash);
    t.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    const std::size_t colon = hostport.rfind(':');
    if (colon == std::string_view::npos) return false;
    t.host = std::string(hostport.substr(0, colon));
    const long port = std::strtol(std::string(hostport.substr(colon + 1)).c_str(), nullptr, 10);
    if (port <= 0 || port > 65535) return false;
    t.port = static_cast<std::uint16_t>(port);
    return true;
}

namespace {

const char* usage =
    "usage: loadgen --sub ws://127.0.0.1:PORT/sub [--publish URL] [options]\n"
    "  --publish URL        http://H:P/path (POST, keep-alive, pipelined), redis://H:P/channel\n"
    "                       (PUBLISH), mqtt://H:P/topic (MQTT 3.1.1 PUBLISH at QoS 0 to a broker)\n"
    "                       or ws://H:P/path (frames on its own connection)\n"
    "                       --sub and a ws publisher may be wss:// (TLS 1.3, AES-128-GCM, X25519)\n"
    "  --ca FILE            the CA that wss:// servers are verified against (the system's store)\n"
    "  --subscribers N      WebSocket subscriber connections (10)\n"
    "  --messages M         messages to publish (1000)\n"
    "  --size B             payload bytes, at least 52 (100)\n"
    "  --rate R             messages per second; 0: as fast as the window allows (0)\n"
    "  --window W           published but unacknowledged messages at most (1000)\n"
    "  --pipeline P         publish requests awaiting a reply at most (64)\n"
    "  --ack all|one        acknowledged = received by every subscriber, or by the first (all)\n"
    "  --lowat BYTES        SO_RCVLOWAT of subscribers in as-fast-as-possible runs (16384)\n"
    "  --relay-pid PID      the relay's process: CPU, RSS and write syscalls are measured\n"
    "  --perf               count the relay's write syscalls with perf stat\n"
    "  --timeout S          the whole run at most (60)\n"
    "  --settle-ms MS       pause between the last upgrade and the first publish (200)\n"
    "  --drain-ms MS        end the run after this long without progress (2000)\n"
    "  --idle               memory mode: connect, measure the relay's RSS, disconnect\n"
    "  --idle-settle-ms MS  wait before the second RSS reading (1000)\n"
    "  --folders F          folder mode: message k goes to folder k % F (/f/<n>); each subscriber\n"
    "                       hears --folder-subs of them; HTTP publishing only\n"
    "  --folder-subs K      folders per subscriber (1)\n"
    "  --folder-spread S    stride: subscriber i hears (i + j*(F/K)) % F, j < K, so that messages\n"
    "                       published in a row reach different clients (default); block: it\n"
    "                       hears (i*K + j) % F, K folders in a row, its messages come in bursts\n"
    "  --folder-via V       subscribe: araldo's subscribe request and ?folder= (default);\n"
    "                       path: nchan's channel ids in the URLs (/sub/f1,f2 and /pub/f1)\n"
    "  --resume             resume run: subscribe, disconnect all, publish --behind messages\n"
    "                       per folder, reconnect all at once with \"since\" (araldo) or\n"
    "                       ?last_event_id= (nchan, --folder-via path: one channel per client)\n"
    "  --behind N           messages each folder gets while its subscribers are away (50)\n"
    "  --label TEXT         copied into the JSON line\n"
    "  --free-port          print a free loopback TCP port and exit\n";

double number(const char* name, const char* v) {
    char* end = nullptr;
    const double d = std::strtod(v, &end);
    if (end == v || *end != '\0' || d < 0) throw std::invalid_argument(std::string(name) + ": not a number: " + v);
    return d;
}

}  // namespace

options parse_options(int argc, char** argv) {
    options o;
    bool have_sub = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value\n" + usage);
            return argv[++i];
        };
        std::string scheme;
        if (a == "--sub") {
            if (!parse_url(value(), scheme, o.sub) || (scheme != "ws" && scheme != "wss"))
                throw std::invalid_argument("--sub: want ws://host:port/path or wss://host:port/path");
            o.sub.tls = scheme == "wss";
            have_sub = true;
        } else if (a == "--publish") {
            if (!parse_url(value(), scheme, o.pub))
                throw std::invalid_argument("--publish: want scheme://host:port/path");
            if (scheme == "http") o.pub_kind = publish_kind::http;
            else if (scheme == "redis") o.pub_kind = publish_kind::redis;
            else if (scheme == "ws" || scheme == "wss") o.pub_kind = publish_kind::ws;
            else if (scheme == "mqtt") o.pub_kind = publish_kind::mqtt;
            else throw std::invalid_argument("--publish: scheme must be http, redis, mqtt, ws or wss");
            o.pub.tls = scheme == "wss";
            if (o.pub_kind == publish_kind::redis || o.pub_kind == publish_kind::mqtt)
                o.pub.path = o.pub.path.substr(1);
        } else if (a == "--subscribers") o.subscribers = static_cast<int>(number("--subscribers", value()));
        else if (a == "--messages") o.messages = static_cast<std::uint64_t>(number("--messages", value()));
        else if (a == "--size") o.size = static_cast<std::size_t>(number("--size", value()));
        else if (a == "--rate") o.rate = number("--rate", value());
        else if (a == "--window") o.window = static_cast<std::uint32_t>(number("--window", value()));
        else if (a == "--pipeline") o.pipeline = static_cast<std::uint32_t>(number("--pipeline", value()));
        else if (a == "--ack") {
            const std::string v = value();
            if (v == "all") o.ack = ack_mode::all;
            else if (v == "one") o.ack = ack_mode::one;
            else throw std::invalid_argument("--ack: all or one");
        } else if (a == "--lowat") o.lowat = static_cast<int>(number("--lowat", value()));
        else if (a == "--relay-pid") o.relay_pid = static_cast<int>(number("--relay-pid", value()));
        else if (a == "--perf") o.perf = true;
        else if (a == "--ca") o.ca = value();
        else if (a == "--timeout") o.timeout_s = number("--timeout", value());
        else if (a == "--settle-ms") o.settle_ms = static_cast<int>(number("--settle-ms", value()));
        else if (a == "--drain-ms") o.drain_ms = static_cast<int>(number("--drain-ms", value()));
        else if (a == "--idle") o.idle = true;
        else if (a == "--idle-settle-ms") o.idle_settle_ms = static_cast<int>(number("--idle-settle-ms", value()));
        else if (a == "--label") o.label = value();
        else if (a == "--folders") o.folders = static_cast<std::uint32_t>(number("--folders", value()));
        else if (a == "--folder-subs") o.folder_subs = static_cast<std::uint32_t>(number("--folder-subs", value()));
        else if (a == "--folder-spread") {
            const std::string v = value();
            if (v == "stride") o.folder_block = false;
            else if (v == "block") o.folder_block = true;
            else throw std::invalid_argument("--folder-spread: stride or block");
        } else if (a == "--folder-via") {
            const std::string v = value();
            if (v == "subscribe") o.via = folder_via::subscribe;
            else if (v == "path") o.via = folder_via::path;
            else throw std::invalid_argument("--folder-via: subscribe or path");
        } else if (a == "--resume") o.resume = true;
        else if (a == "--behind") o.behind = static_cast<std::uint32_t>(number("--behind", value()));
        else if (a == "--help" || a == "-h") throw std::invalid_argument(usage);
        else throw std::invalid_argument("unknown argument " + a + "\n" + usage);
    }
    if (!have_sub) throw std::invalid_argument(std::string("--sub is required\n") + usage);
    if (o.size < payload_min_size) throw std::invalid_argument("--size: at least 52 bytes");
    if (o.subscribers < 1) throw std::invalid_argument("--subscribers: at least 1");
    if (o.window < 1 || o.pipeline < 1) throw std::invalid_argument("--window and --pipeline: at least 1");
    if (!o.idle && o.pub.port == 0) throw std::invalid_argument("--publish is required unless --idle");
    if (o.folders > 0) {
        if (o.pub_kind != publish_kind::http) throw std::invalid_argument("--folders: publish with http://");
        if (o.folder_subs < 1 || o.folder_subs > o.folders)
            throw std::invalid_argument("--folder-subs: from 1 to --folders");
        // The first subscriber does not hear every folder.
        if (o.ack == ack_mode::one) throw std::invalid_argument("--folders: only with --ack all");
    }
    if (o.resume && (o.folders == 0 || o.behind < 1))
        throw std::invalid_argument("--resume needs --folders and --behind of 1 or more");
    return o;
}

// Appended rather than "/f/" + std::to_string(n): GCC 12 warns (-Wrestrict, a false positive) on that.
std::uint32_t subscriber_folder(const options& o, std::uint64_t i, std::uint32_t j) {
    if (o.folder_block) return static_cast<std::uint32_t>((i * o.folder_subs + j) % o.folders);
    const std::uint64_t stride = o.folders / o.folder_subs;  // >= 1: folder_subs <= folders
    return static_cast<std::uint32_t>((i + j * stride) % o.folders);
}

bool subscriber_hears(const options& o, std::uint64_t i, std::uint64_t f) {
    if (o.folder_block) return (f + o.folders - i * o.folder_subs % o.folders) % o.folders < o.folder_subs;
    const std::uint64_t stride = o.folders / o.folder_subs;
    const std::uint64_t d = (f + o.folders - i % o.folders) % o.folders;
    return d % stride == 0 && d / stride < o.folder_subs;
}

std::string folder_name(std::uint32_t n) {
    std::string s = "/f/";
    return s.append(std::to_string(n));
}
std::string nchan_channel_name(std::uint32_t n) {
    std::string s = "f";
    return s.append(std::to_string(n));
}

}  // namespace araldo::bench
