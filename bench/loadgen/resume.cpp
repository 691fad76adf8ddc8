// The resume run (araldo's folder mode with a history): every client
// subscribes to one folder, hears a few messages live, and drops; each folder
// then gets `behind` messages; every client reconnects at once and subscribes
// again with "since" (the offset and epoch of the last message it heard).
// Measured: the time from the first reconnect until the last client has all
// it missed, and that each got exactly those messages, in order, once.
// nchan (--folder-via path): a channel per folder, one per connection; a
// client resumes with ?last_event_id=, the id nchan gave the last message it
// heard (from the publisher's reply); its messages carry no offsets, so they
// are checked by their sequence numbers alone.
#include "run.hpp"

#include "../common/ws_wire.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::bench {

namespace {

constexpr std::uint64_t publisher_tag = ~0ull;
constexpr const char* ws_key = "dGhlIHNhbXBsZSBub25jZQ==";

struct resumer {
    int fd = -1;
    std::uint32_t folder = 0;
    std::string in;  // bytes not parsed yet: the handshake's response, then frames
    bool upgraded = false;
    bool subscribed = false;
    std::uint64_t offset = 0;  // of the last message heard (or what subscribed said)
    std::string epoch;
    std::uint64_t last_seq = 0;  // nchan: the sequence number of the last message heard
    bool heard = false;
    std::size_t live = 0;  // messages heard before dropping
    std::size_t got = 0;   // messages heard after coming back
    std::uint64_t done_ns = 0;
};

// The value after `key` (`"offset":`) at its last occurrence (the stamp is appended last).
bool stamp_number(std::string_view text, std::string_view key, std::uint64_t& v) {
    const std::size_t at = text.rfind(key);
    if (at == std::string_view::npos) return false;
    v = std::strtoull(std::string(text.substr(at + key.size(), 24)).c_str(), nullptr, 10);
    return true;
}

// The string after `key` (`"epoch":"`), up to its closing quote.
bool stamp_string(std::string_view text, std::string_view key, std::string& v) {
    const std::size_t at = text.rfind(key);
    if (at == std::string_view::npos) return false;
    const std::size_t end = text.find('"', at + key.size());
    if (end == std::string_view::npos) return false;
    v = std::string(text.substr(at + key.size(), end - at - key.size()));
    return true;
}

class resume_run {
public:
    explicit resume_run(const options& o)
        : o_(o), nchan_(o.via == folder_via::path), clients_(static_cast<std::size_t>(o.subscribers)) {}
    bool run(resume_result& r, std::string& err);

private:
    bool subscribe_all(std::string& err);
    bool publish_rounds(std::uint32_t rounds, bool away, std::string& err);
    void drop_all();
    void reconnect_all(std::string& err);
    bool open_client(resumer& c, std::string& err);
    void send_subscribe(resumer& c, bool resume);
    // Runs the event loop until done() or the deadline; false at the deadline.
    template <class Done>
    bool pump(std::uint64_t deadline, Done&& done);
    void on_readable(std::size_t i);
    void on_text(resumer& c, std::string_view text);
    void on_nchan_message(resumer& c, std::uint64_t seq);
    bool read_last_ids(std::string& err);
    void feed_publisher();
    void watch_publisher();

    const options& o_;
    const bool nchan_;
    std::vector<resumer> clients_;
    std::vector<std::string> replies_;  // nchan: the publisher's replies to the live messages
    std::vector<std::string> last_id_;  // nchan: per folder, the id of its last live message
    publisher pub_;
    int ep_ = -1;
    bool pub_out_ = false;
    bool pub_alive_ = true;
    bool away_ = false;                 // messages published now are the ones clients must resume
    bool resuming_ = false;             // clients are back: what they hear counts as missed
    std::uint64_t seq_ = 0;             // next message's sequence number
    std::vector<std::uint32_t> queue_;  // folders of messages still to publish
    std::size_t queued_ = 0;
    // Per folder, the sequence numbers published while its clients were away.
    std::vector<std::vector<std::uint64_t>> missed_;
    std::size_t subscribed_ = 0, live_done_ = 0, resumed_done_ = 0;
    std::uint64_t t0_ = 0;
    resume_result* r_ = nullptr;
};

bool resume_run::open_client(resumer& c, std::string& err) {
    c.fd = tcp_connect(o_.sub, err);
    if (c.fd < 0) return false;
    std::string path = o_.sub.path;
    if (nchan_) {
        path += '/';
        path += nchan_channel_name(c.folder);
        if (resuming_) path += "?last_event_id=" + last_id_[c.folder];
    }
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + o_.sub.host + ":" +
                                std::to_string(o_.sub.port) +
                                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + ws_key +
                                "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (write(c.fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
        err = "the upgrade request did not go out whole";
        return false;
    }
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    c.in.clear();
    c.upgraded = c.subscribed = false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<std::uint64_t>(&c - clients_.data());
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    return true;
}

void resume_run::send_subscribe(resumer& c, bool resume) {
    std::string request =
        R"({"type":"subscribe","parameters":{"subscriptions":[{"folder":")" + folder_name(c.folder) + "\"";
    if (resume) request += R"(,"since":{"offset":)" + std::to_string(c.offset) + R"(,"epoch":")" + c.epoch + "\"}";
    request += "}]}}";
    std::string frame;
    ws_append_header(frame, ws_opcode::text, request.size(), true);
    frame += request;
    if (write(c.fd, frame.data(), frame.size()) != static_cast<ssize_t>(frame.size())) ++r_->errors;
}

void resume_run::on_text(resumer& c, std::string_view text) {
    if (text.starts_with(R"({"type":"connect")")) return;
    if (text.starts_with(R"({"type":"error")")) {
        ++r_->errors;
        if (r_->error.empty()) r_->error = std::string(text.substr(0, 300));
        return;
    }
    if (text.starts_with(R"({"type":"subscribed")")) {
        c.subscribed = true;
        ++subscribed_;
        if (!resuming_) {
            // Where a client that hears nothing before it drops resumes from.
            stamp_number(text, R"("offset":)", c.offset);
            stamp_string(text, R"("epoch":")", c.epoch);
        } else if (text.find(R"("recovered":true)") != std::string_view::npos) {
            ++r_->recovered;
        } else {
            ++r_->not_recovered;
        }
        return;
    }
    std::uint64_t seq = 0, sent = 0, offset = 0;
    std::string epoch;
    if (nchan_) {
        if (!read_payload(text.data(), text.size(), seq, sent)) ++r_->bad;
        else on_nchan_message(c, seq);
        return;
    }
    if (!read_payload(text.data(), text.size(), seq, sent) || !stamp_number(text, R"("offset":)", offset) ||
        !stamp_string(text, R"("epoch":")", epoch)) {
        ++r_->bad;
        return;
    }
    if (epoch != c.epoch || offset <= c.offset) {
        ++r_->duplicates;  // heard already (or from another epoch: never, in one relay's life)
        return;
    }
    if (offset != c.offset + 1) r_->gaps += offset - c.offset - 1;
    c.offset = offset;
    if (!resuming_) {
        if (++c.live == 2) ++live_done_;
        return;
    }
    const auto& want = missed_[c.folder];
    if (c.got >= want.size() || want[c.got] != seq) ++r_->wrong;
    if (++c.got == want.size()) {
        c.done_ns = now_ns();
        ++resumed_done_;
    } else if (c.got > want.size()) {
        ++r_->extra;
    }
}

void resume_run::on_nchan_message(resumer& c, std::uint64_t seq) {
    if (c.heard && seq <= c.last_seq) {
        ++r_->duplicates;
        return;
    }
    c.heard = true;
    c.last_seq = seq;
    if (!resuming_) {
        if (++c.live == 2) ++live_done_;
        return;
    }
    const auto& want = missed_[c.folder];
    if (c.got < want.size() && want[c.got] != seq) {
        // Later than the one due: the ones between were skipped.
        const auto at = std::find(want.begin() + static_cast<std::ptrdiff_t>(c.got), want.end(), seq);
        if (at == want.end()) {
            ++r_->wrong;
        } else {
            r_->gaps += static_cast<std::uint64_t>(at - want.begin()) - c.got;
            c.got = static_cast<std::size_t>(at - want.begin());
        }
    }
    if (++c.got == want.size()) {
        c.done_ns = now_ns();
        ++resumed_done_;
    } else if (c.got > want.size()) {
        ++r_->extra;
    }
}

// The JSON reply of nchan's publisher: {"messages": 1, ..., "last_message_id": "1796231127:0" }
bool resume_run::read_last_ids(std::string& err) {
    last_id_.assign(o_.folders, {});
    // The live messages went out as folder 0..F-1 twice: the second round holds the last of each.
    if (replies_.size() != 2 * static_cast<std::size_t>(o_.folders)) {
        err =
            "expected " + std::to_string(2 * o_.folders) + " publisher replies, got " + std::to_string(replies_.size());
        return false;
    }
    for (std::uint32_t f = 0; f < o_.folders; ++f) {
        if (!stamp_string(replies_[o_.folders + f], R"("last_message_id": ")", last_id_[f])) {
            err = "no last_message_id in nchan's reply: " + replies_[o_.folders + f].substr(0, 200);
            return false;
        }
    }
    return true;
}

void resume_run::on_readable(std::size_t i) {
    resumer& c = clients_[i];
    char buf[65536];
    for (;;) {
        const ssize_t n = read(c.fd, buf, sizeof buf);
        if (n < 0) break;  // EAGAIN: all read
        if (n == 0) {
            ++r_->closed;
            epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
            close(c.fd);
            c.fd = -1;
            return;
        }
        c.in.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t pos = 0;
    if (!c.upgraded) {
        const std::size_t end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) return;
        const std::string_view head(c.in.data(), end + 2);
        if (head.size() < 12 || head.substr(9, 3) != "101" ||
            http_header(head, "Sec-WebSocket-Accept") != ws_accept_key(ws_key)) {
            ++r_->errors;
            if (r_->error.empty()) r_->error = "upgrade refused: " + std::string(head.substr(0, head.find("\r\n")));
            c.in.clear();
            return;
        }
        c.upgraded = true;
        pos = end + 4;
        if (nchan_) {
            c.subscribed = true;  // nchan subscribes on the upgrade
            ++subscribed_;
        } else {
            send_subscribe(c, resuming_);
        }
    }
    ws_frame_view f;
    while (ws_parse_frame(c.in.data() + pos, c.in.size() - pos, f)) {
        if (f.opcode == static_cast<std::uint8_t>(ws_opcode::text)) on_text(c, std::string_view(f.payload, f.length));
        pos += f.total;
    }
    c.in.erase(0, pos);
}

void resume_run::watch_publisher() {
    const bool want = pub_.want_write();
    if (want == pub_out_) return;
    pub_out_ = want;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.u64 = publisher_tag;
    epoll_ctl(ep_, EPOLL_CTL_MOD, pub_.fd(), &ev);
}

void resume_run::feed_publisher() {
    bool any = false;
    while (queued_ < queue_.size() && pub_.in_flight() < o_.pipeline) {
        const std::uint32_t folder = queue_[queued_++];
        if (away_) missed_[folder].push_back(seq_);
        pub_.append(seq_++, now_ns(), folder);
        any = true;
    }
    if (any) pub_alive_ = pub_.flush() && pub_alive_;
    watch_publisher();
}

template <class Done>
bool resume_run::pump(std::uint64_t deadline, Done&& done) {
    std::vector<epoll_event> events(1024);
    while (!done()) {
        if (!pub_alive_ || now_ns() >= deadline) return false;
        feed_publisher();
        const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 10);
        for (int k = 0; k < n; ++k) {
            const epoll_event& e = events[static_cast<std::size_t>(k)];
            if (e.data.u64 != publisher_tag) {
                if (clients_[e.data.u64].fd >= 0) on_readable(e.data.u64);
                continue;
            }
            if ((e.events & EPOLLOUT) != 0) pub_alive_ = pub_.flush() && pub_alive_;
            if ((e.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && pub_alive_ && !pub_.on_readable())
                pub_alive_ = false;
        }
    }
    return true;
}

bool resume_run::publish_rounds(std::uint32_t rounds, bool away, std::string& err) {
    away_ = away;
    for (std::uint32_t k = 0; k < rounds; ++k)
        for (std::uint32_t f = 0; f < o_.folders; ++f) queue_.push_back(f);
    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(o_.timeout_s * 1e9);
    const bool ok = pump(deadline, [&] { return queued_ == queue_.size() && pub_.in_flight() == 0; });
    if (!ok || pub_.errors() > 0) {
        err = "publishing failed: " + (pub_.last_error().empty() ? std::string("timed out") : pub_.last_error());
        return false;
    }
    return true;
}

bool resume_run::subscribe_all(std::string& err) {
    for (std::size_t i = 0; i < clients_.size(); ++i) {
        clients_[i].folder = static_cast<std::uint32_t>(i % o_.folders);
        if (!open_client(clients_[i], err)) {
            err = "client " + std::to_string(i) + ": " + err;
            return false;
        }
    }
    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(o_.timeout_s * 1e9);
    if (!pump(deadline, [&] { return subscribed_ == clients_.size(); })) {
        err = std::to_string(clients_.size() - subscribed_) + " clients not subscribed";
        return false;
    }
    return true;
}

void resume_run::drop_all() {
    for (auto& c : clients_) {
        if (c.fd < 0) continue;
        close(c.fd);  // leaves the epoll set with it
        c.fd = -1;
    }
}

void resume_run::reconnect_all(std::string& err) {
    for (std::size_t i = 0; i < clients_.size(); ++i) {
        if (!open_client(clients_[i], err)) {
            ++r_->errors;
            if (r_->error.empty()) r_->error = "client " + std::to_string(i) + ": " + err;
        }
    }
}

bool resume_run::run(resume_result& r, std::string& err) {
    r_ = &r;
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    missed_.assign(o_.folders, {});
    if (!subscribe_all(err) || !pub_.open(o_, nullptr, err)) return false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = publisher_tag;
    epoll_ctl(ep_, EPOLL_CTL_ADD, pub_.fd(), &ev);
    // Two messages live, so that every client resumes from a message it heard.
    if (nchan_) pub_.keep_replies(&replies_);
    if (!publish_rounds(2, false, err)) return false;
    pub_.keep_replies(nullptr);
    if (nchan_ && !read_last_ids(err)) return false;
    const std::uint64_t live_deadline = now_ns() + static_cast<std::uint64_t>(o_.timeout_s * 1e9);
    if (!pump(live_deadline, [&] { return live_done_ == clients_.size(); })) {
        err = std::to_string(clients_.size() - live_done_) + " clients did not hear their live messages";
        return false;
    }
    drop_all();
    if (!publish_rounds(o_.behind, true, err)) return false;

    resuming_ = true;
    subscribed_ = 0;
    const double cpu0 = process_cpu_s(o_.relay_pid);
    t0_ = now_ns();
    reconnect_all(err);
    // A resume that takes seconds has failed its purpose; no need to wait out the whole timeout.
    const std::uint64_t deadline = t0_ + static_cast<std::uint64_t>(std::min(o_.timeout_s, 10.0) * 1e9);
    r.timed_out = !pump(deadline, [&] { return resumed_done_ == clients_.size(); });
    std::uint64_t last = t0_;
    for (const auto& c : clients_) {
        if (c.done_ns == 0) continue;
        last = std::max(last, c.done_ns);
        r.client_ms.push_back(static_cast<double>(c.done_ns - t0_) / 1e6);
    }
    r.resume_s = static_cast<double>(last - t0_) / 1e9;
    const double cpu1 = process_cpu_s(o_.relay_pid);
    r.relay_cpu_s = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
    // Anything after the last missed message would be a duplicate or a stray.
    const std::uint64_t drain_until = now_ns() + 300'000'000;
    pump(drain_until, [] { return false; });
    r.clients = clients_.size();
    r.complete = resumed_done_;
    // nchan says nothing like recovered: a client that got all it missed was.
    if (nchan_) r.recovered = resumed_done_;
    for (const auto& c : clients_) {
        r.expected += missed_[c.folder].size();
        r.received += std::min(c.got, missed_[c.folder].size());
    }
    for (auto& c : clients_)
        if (c.fd >= 0) close(c.fd);
    close(ep_);
    return true;
}

}  // namespace

bool run_resume(const options& o, resume_result& r, std::string& err) {
    resume_run run(o);
    return run.run(r, err);
}

}  // namespace araldo::bench
