#include "redis_server.hpp"

#include "redis_cli.hpp"

#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <hiredis/hiredis.h>

#include <csignal>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace araldo::test {

namespace {

std::string reply_text(const redisReply* r) {
    switch (r->type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS: return std::string(r->str, r->len);
        case REDIS_REPLY_ERROR: return "-" + std::string(r->str, r->len);
        case REDIS_REPLY_INTEGER: return std::to_string(r->integer);
        case REDIS_REPLY_ARRAY: {
            std::string s;
            for (std::size_t i = 0; i < r->elements; ++i) s += (i ? "\n" : "") + reply_text(r->element[i]);
            return s;
        }
        default: return "(nil)";
    }
}

std::string take_reply(redisContext* c, void* raw) {
    if (!raw) throw std::runtime_error(std::string("redis client: ") + c->errstr);
    auto* r = static_cast<redisReply*>(raw);
    std::string s = reply_text(r);
    freeReplyObject(r);
    return s;
}

}  // namespace

redis_server::redis_server(std::vector<std::string> extra) : extra_(std::move(extra)), port_(free_port()) { start(); }

redis_server::redis_server(std::vector<std::string> extra, tls_options tls)
    : extra_(std::move(extra)), tls_(std::move(tls)), pki_(make_test_pki(dir_.path())), port_(free_port()) {
    start();
}

redis_server::~redis_server() {
    if (proc_ && proc_->running()) {
        proc_->signal(SIGTERM);
        proc_->wait(std::chrono::seconds(10));
    }
}

void redis_server::kill() {
    proc_->signal(SIGKILL);
    proc_->wait(std::chrono::seconds(10));
}

std::vector<std::string> redis_server::argv() const {
    std::vector<std::string> argv{"/usr/bin/redis-server"};
    if (tls_) {
        argv.insert(argv.end(), {"--port", "0", "--tls-port", std::to_string(port_), "--tls-cert-file",
                                 pki_.file(tls_->cert + ".pem"), "--tls-key-file", pki_.file(tls_->cert + ".key"),
                                 "--tls-ca-cert-file", pki_.file("ca.pem"), "--tls-auth-clients",
                                 tls_->auth_clients ? "yes" : "no"});
    } else {
        argv.insert(argv.end(), {"--port", std::to_string(port_)});
    }
    argv.insert(argv.end(),
                {"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir_.path(), "--daemonize", "no"});
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    return argv;
}

// Any reply, even NOAUTH, means it is up.
bool redis_server::answers() const {
    if (tls_) return !redis_cli(*this).command({"PING"}).empty();
    redisContext* c = redisConnect("127.0.0.1", port_);
    bool ok = c && !c->err;
    if (ok) {
        void* r = redisCommand(c, "PING");
        ok = r != nullptr;
        if (r) freeReplyObject(r);
    }
    if (c) redisFree(c);
    return ok;
}

void redis_server::start() {
    proc_ = std::make_unique<child_process>(child_process::spec{argv(), {}, dir_.path(), false, dir_.path()});
    if (!wait_until([&] { return answers(); }))
        throw std::runtime_error("redis-server did not start:\n" + proc_->out() + proc_->err());
}

redis_client::redis_client(unsigned short port, const std::string& password, const std::string& user) {
    ctx_ = redisConnect("127.0.0.1", port);
    if (!ctx_ || ctx_->err) throw std::runtime_error("cannot connect to redis");
    if (password.empty()) return;
    std::vector<std::string> auth{"AUTH"};
    if (!user.empty()) auth.push_back(user);
    auth.push_back(password);
    std::string r = command(auth);
    if (r != "OK") throw std::runtime_error("redis AUTH failed: " + r);
}

redis_client::~redis_client() {
    if (ctx_) redisFree(ctx_);
}

std::string redis_client::command(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    void* raw = redisCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lens.data());
    return take_reply(ctx_, raw);
}

std::vector<std::string> redis_client::publish_all(const std::string& channel,
                                                   const std::vector<std::string>& payloads) {
    for (const auto& p : payloads) {
        const char* argv[] = {"PUBLISH", channel.data(), p.data()};
        const std::size_t lens[] = {7, channel.size(), p.size()};
        redisAppendCommandArgv(ctx_, 3, argv, lens);
    }
    std::vector<std::string> replies;
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(ctx_, &raw) != REDIS_OK) raw = nullptr;
        replies.push_back(take_reply(ctx_, raw));
    }
    return replies;
}

void redis_client::subscribe(const std::vector<std::string>& channels, bool patterns) {
    std::vector<std::string> args{patterns ? "PSUBSCRIBE" : "SUBSCRIBE"};
    args.insert(args.end(), channels.begin(), channels.end());
    command(args);  // the first confirmation
    for (std::size_t i = 1; i < channels.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(ctx_, &raw) != REDIS_OK) raw = nullptr;
        take_reply(ctx_, raw);
    }
}

std::optional<redis_push> redis_client::next_message(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    redisSetTimeout(ctx_, tv);
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) return std::nullopt;
    auto* r = static_cast<redisReply*>(raw);
    redis_push p;
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 3) {
        p.kind = reply_text(r->element[0]);
        std::size_t i = 1;
        if (p.kind == "pmessage") p.pattern = reply_text(r->element[i++]);
        p.channel = reply_text(r->element[i++]);
        if (i < r->elements) p.payload = reply_text(r->element[i]);
    }
    freeReplyObject(r);
    return p;
}

double metric(unsigned short relay_port, const std::string& sample) {
    std::istringstream body(http_get(relay_port, "/metrics").body);
    std::string line;
    while (std::getline(body, line)) {
        if (line.size() > sample.size() && line.compare(0, sample.size(), sample) == 0 && line[sample.size()] == ' ') {
            return std::stod(line.substr(sample.size() + 1));
        }
    }
    return -1;
}

std::string down_problem(const std::string& role, const std::string& url) {
    return R"("endpoint":"bus","severity":"warning","problem":")" + role + " disconnected from " + url + " since ";
}

std::vector<std::string> file_lines(const std::string& path) {
    std::istringstream in(read_file(path));
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
}

bool healthy(const relay& r) { return http_get(r.port(), "/_health/?full").status == 200; }

std::string bus_config(const std::string& url, const std::string& options) {
    return R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: bus, id: endpoint-redis, url: ")" +
           url + R"(", )" + options + R"(}
    - {name: src, id: endpoint-file, input: "-"}
    - {name: dst, id: endpoint-file, output: "{DIR}/out.txt"}
routes:
  src: [bus]
  bus: [dst]
)";
}

bool logged_occurrence(std::uint64_t n) { return (n & (n - 1)) == 0 || n % 1000 == 0; }

std::vector<std::uint64_t> outage_counts(const std::string& log, const std::string& needle) {
    std::vector<std::uint64_t> counts;
    std::istringstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        if (line.find(needle) == std::string::npos) continue;
        const auto end = line.rfind(" in this outage)");
        const auto start = line.rfind('(', end);
        if (end == std::string::npos || start == std::string::npos) continue;
        counts.push_back(std::stoull(line.substr(start + 1, end - start - 1)));
    }
    return counts;
}

}  // namespace araldo::test
