// The measured run: one epoll loop that publishes within the window (or at a fixed
// rate) and reads every subscriber in batches of whatever the kernel holds.
#include "run.hpp"

#include "../common/ws_wire.hpp"
#include "rx_stamp.hpp"

#include <linux/net_tstamp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::bench {

namespace {

constexpr std::uint64_t publisher_tag = ~0ull;
constexpr std::size_t read_buffer_size = 256 * 1024;
constexpr std::size_t max_tls_record = 16384;  // the most one SSL_read() returns

class load_run {
public:
    explicit load_run(const options& o) : o_(o), subs_(static_cast<std::size_t>(o.subscribers)) {}
    bool connect(std::string& err);
    // Folder mode through araldo's protocol: until every subscriber was told subscribed.
    bool wait_subscribed(std::string& err);
    void begin(run_result& r);
    bool step(run_result& r, std::uint64_t deadline);
    void finish(run_result& r);

private:
    void publish(std::uint64_t now);
    void read_subscriber(std::size_t i);
    void read_tls_subscriber(std::size_t i);
    void consume(std::size_t i, std::size_t total, std::uint64_t now);
    void on_frame(std::size_t i, const ws_frame_view& f, std::uint64_t now);
    void on_message(std::size_t i, const char* p, std::size_t n, std::uint64_t now);
    void on_control(std::string_view text);
    std::uint32_t subscribers_of(std::uint64_t seq) const;
    void acknowledge(std::uint64_t seq);
    void close_subscriber(std::size_t i);
    void set_lowat(int bytes);
    void watch_publisher();
    void dispatch(const epoll_event& e);
    std::uint64_t arrival_ns(std::uint64_t wall_ns) const;

    const options& o_;
    std::vector<subscriber> subs_;
    std::unique_ptr<tls_client> tls_;  // when anything is wss://
    publisher pub_;
    int ep_ = -1;
    std::vector<char> rbuf_ = std::vector<char>(read_buffer_size);
    std::vector<std::uint32_t> ack_counts_;
    std::uint64_t ack_mask_ = 0;
    std::uint64_t sent_ = 0;
    std::uint64_t acked_ = 0;
    std::uint64_t held_until_ = 0;  // messages before this one were due while the window was full
    std::uint64_t unique_ = 0;
    std::uint64_t expected_ = 0;  // deliveries: every message times the subscribers of its folder
    // Folder mode: subscribers of each folder; subscribe requests not answered yet; a refusal.
    std::vector<std::uint32_t> folder_count_;
    std::size_t awaiting_subscribed_ = 0;
    std::string control_error_;
    std::uint64_t t0_ = 0;
    std::uint64_t last_delivery_ = 0;
    std::uint64_t last_progress_ = 0;
    bool pub_out_ = false;
    bool pub_alive_ = true;
    int lowat_ = 1;
    int closed_ = 0;
    histogram latency_;
    // CLOCK_REALTIME minus CLOCK_MONOTONIC: the kernel's receive timestamps are
    // wall-clock, the payloads' send times monotonic.
    std::int64_t realtime_offset_ns_ = 0;
    std::vector<epoll_event> events_ = std::vector<epoll_event>(1024);
    syscall_counter perf_;
    bool perf_on_ = false;
    long long syscw0_ = -1;
    double relay0_ = -1, self0_ = 0;
    cpu_ticks relay_ticks0_;
};

bool load_run::connect(std::string& err) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (o_.sub.tls || (o_.pub_kind == publish_kind::ws && o_.pub.tls)) {
        try {
            tls_ = std::make_unique<tls_client>(o_.ca, false);
        } catch (const std::runtime_error& e) {
            err = e.what();
            return false;
        }
    }
    if (o_.folders > 0) folder_count_.assign(o_.folders, 0);
    for (std::size_t i = 0; i < subs_.size(); ++i) {
        target sub = o_.sub;
        std::string request;
        for (std::uint32_t j = 0; j < o_.folders && j < o_.folder_subs; ++j) {
            const std::uint32_t f = subscriber_folder(o_, i, j);
            ++folder_count_[f];
            if (o_.via == folder_via::path) {
                sub.path += j == 0 ? '/' : ',';
                sub.path += nchan_channel_name(f);
            } else {
                request += request.empty() ? R"({"type":"subscribe","parameters":{"subscriptions":[)" : ",";
                request += R"({"folder":")" + folder_name(f) + "\"}";
            }
        }
        subs_[i].fd = ws_connect(sub, tls_.get(), subs_[i].tls, subs_[i].carry, err);
        if (subs_[i].fd < 0) {
            err = "subscriber " + std::to_string(i) + ": " + err;
            return false;
        }
        // Latency is taken when the relay's frame reached the subscriber's socket,
        // not when this loop got round to reading it: reading 100 sockets one after
        // the other costs the generator about as much as writing them costs the relay.
        const int stamping = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
        setsockopt(subs_[i].fd, SOL_SOCKET, SO_TIMESTAMPING, &stamping, sizeof stamping);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        epoll_ctl(ep_, EPOLL_CTL_ADD, subs_[i].fd, &ev);
        if (!request.empty()) {
            request += "]}}";
            std::string frame;
            ws_append_header(frame, ws_opcode::text, request.size(), true);
            frame += request;
            const long n = subs_[i].tls ? subs_[i].tls.write(frame.data(), frame.size())
                                        : write(subs_[i].fd, frame.data(), frame.size());
            if (n != static_cast<long>(frame.size())) {
                err = "subscriber " + std::to_string(i) + ": the subscribe request did not go out whole";
                return false;
            }
            ++awaiting_subscribed_;
        }
    }
    if (o_.folders == 0) {
        expected_ = o_.messages * subs_.size();
    } else {
        for (std::uint64_t k = 0; k < o_.messages; ++k) expected_ += subscribers_of(k);
    }
    if (!pub_.open(o_, tls_.get(), err)) return false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = publisher_tag;
    epoll_ctl(ep_, EPOLL_CTL_ADD, pub_.fd(), &ev);
    std::size_t ring = 1;
    while (ring < o_.window) ring <<= 1;
    ack_counts_.assign(ring, 0);
    ack_mask_ = ring - 1;
    return true;
}

std::uint32_t load_run::subscribers_of(std::uint64_t seq) const {
    return o_.folders == 0 ? static_cast<std::uint32_t>(subs_.size()) : folder_count_[seq % o_.folders];
}

bool load_run::wait_subscribed(std::string& err) {
    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(o_.timeout_s * 1e9);
    while (awaiting_subscribed_ > 0 && control_error_.empty()) {
        if (now_ns() >= deadline) {
            err = std::to_string(awaiting_subscribed_) + " subscribe requests not answered";
            return false;
        }
        const int n = epoll_wait(ep_, events_.data(), static_cast<int>(events_.size()), 50);
        for (int k = 0; k < n; ++k) dispatch(events_[static_cast<std::size_t>(k)]);
    }
    if (!control_error_.empty()) err = "the relay refused: " + control_error_;
    return control_error_.empty();
}

// araldo's folder protocol: {"type":"connect"|"subscribed"|"error",...}; not counted as deliveries.
void load_run::on_control(std::string_view text) {
    if (text.starts_with(R"({"type":"subscribed")")) {
        if (awaiting_subscribed_ > 0) --awaiting_subscribed_;
    } else if (text.starts_with(R"({"type":"error")") && control_error_.empty()) {
        control_error_ = std::string(text.substr(0, 300));
    }
}

void load_run::set_lowat(int bytes) {
    if (bytes == lowat_) return;
    lowat_ = bytes;
    for (std::size_t i = 0; i < subs_.size(); ++i) {
        if (subs_[i].fd < 0 || (o_.ack == ack_mode::one && i == 0)) continue;
        setsockopt(subs_[i].fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes);
    }
}

void load_run::watch_publisher() {
    const bool want = pub_.want_write();
    if (want == pub_out_) return;
    pub_out_ = want;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.u64 = publisher_tag;
    epoll_ctl(ep_, EPOLL_CTL_MOD, pub_.fd(), &ev);
}

void load_run::publish(std::uint64_t now) {
    if (sent_ >= o_.messages || !pub_alive_) return;
    std::uint64_t allowed = std::min<std::uint64_t>(o_.messages - sent_, o_.window - (sent_ - acked_));
    if (o_.pub_kind == publish_kind::http || o_.pub_kind == publish_kind::redis)
        allowed = std::min<std::uint64_t>(allowed, o_.pipeline - std::min(o_.pipeline, pub_.in_flight()));
    if (o_.rate > 0) {
        const auto due = static_cast<std::uint64_t>(static_cast<double>(now - t0_) * o_.rate / 1e9) + 1;
        const std::uint64_t want = due > sent_ ? due - sent_ : 0;
        if (allowed < want) held_until_ = std::max(held_until_, due);
        allowed = std::min(allowed, want);
    }
    if (allowed == 0) return;
    for (std::uint64_t k = 0; k < allowed; ++k, ++sent_) {
        // A message that was due while the window was full is stamped with the time
        // it was due: the relay that held the publisher back is charged for the wait
        // (no coordinated omission). Others carry the time they are written.
        const bool held = sent_ < held_until_;
        pub_.append(sent_,
                    held ? t0_ + static_cast<std::uint64_t>(static_cast<double>(sent_) * 1e9 / o_.rate) : now_ns(),
                    o_.folders > 0 ? static_cast<std::uint32_t>(sent_ % o_.folders) : publisher::no_folder);
    }
    last_progress_ = now;
    pub_alive_ = pub_.flush();
    watch_publisher();
    // The tail must not wait for a watermark that will never be reached.
    if (sent_ == o_.messages) set_lowat(1);
}

void load_run::acknowledge(std::uint64_t seq) {
    if (seq < acked_ || seq >= acked_ + ack_counts_.size()) return;
    ++ack_counts_[seq & ack_mask_];
    while (acked_ < sent_ &&
           ack_counts_[acked_ & ack_mask_] >= (o_.ack == ack_mode::all ? subscribers_of(acked_) : 1)) {
        ack_counts_[acked_ & ack_mask_] = 0;
        ++acked_;
    }
}

void load_run::on_message(std::size_t i, const char* p, std::size_t n, std::uint64_t now) {
    subscriber& s = subs_[i];
    std::uint64_t seq = 0, sent_at = 0;
    if (!read_payload(p, n, seq, sent_at)) {
        const std::string_view text(p, n);
        if (o_.folders > 0 && text.starts_with(R"({"type":")")) return on_control(text);
        ++s.delivered;
        ++s.bad;
        return;
    }
    ++s.delivered;
    if (o_.folders > 0) {
        if (!subscriber_hears(o_, i, seq % o_.folders)) {
            ++s.strays;
            return;
        }
    }
    if (seq == s.last) {
        ++s.duplicates;
        return;
    }
    if (seq < s.next) ++s.out_of_order;
    else s.next = seq + 1;
    s.last = seq;
    ++unique_;
    latency_.add(now > sent_at ? (now - sent_at) / 1000 : 0);
    if (o_.ack == ack_mode::all || i == 0) acknowledge(seq);
}

void load_run::on_frame(std::size_t i, const ws_frame_view& f, std::uint64_t now) {
    switch (static_cast<ws_opcode>(f.opcode)) {
        case ws_opcode::text:
        case ws_opcode::binary: on_message(i, f.payload, f.length, now); break;
        case ws_opcode::ping: {
            std::string pong;
            ws_append_header(pong, ws_opcode::pong, f.length, true);
            pong.append(f.payload, f.length);
            subscriber& s = subs_[i];
            // A pong that does not fit is dropped: the read side reports a dead connection.
            if (s.tls) s.tls.write(pong.data(), pong.size());
            else if (write(s.fd, pong.data(), pong.size()) < 0) {}
            break;
        }
        case ws_opcode::close: close_subscriber(i); break;
        default: break;
    }
}

void load_run::close_subscriber(std::size_t i) {
    if (subs_[i].fd < 0) return;
    epoll_ctl(ep_, EPOLL_CTL_DEL, subs_[i].fd, nullptr);
    subs_[i].tls = tls_conn();
    close(subs_[i].fd);
    subs_[i].fd = -1;
    ++closed_;
}

void load_run::read_subscriber(std::size_t i) {
    subscriber& s = subs_[i];
    if (s.fd < 0) return;  // closed earlier in this batch of events
    if (s.tls) {
        read_tls_subscriber(i);
        return;
    }
    const std::size_t carried = s.carry.size();
    if (carried >= rbuf_.size() / 2) rbuf_.resize(carried * 2 + read_buffer_size);
    std::memcpy(rbuf_.data(), s.carry.data(), carried);
    std::uint64_t stamp = 0;  // none: arrival_ns() takes the time of the read
    const ssize_t n = recv_stamped(s.fd, rbuf_.data() + carried, rbuf_.size() - carried, stamp);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        close_subscriber(i);
        return;
    }
    last_progress_ = now_ns();
    consume(i, carried + static_cast<std::size_t>(n), arrival_ns(stamp));
}

// OpenSSL reads the socket (keeping its receive timestamps) and may hold bytes
// that epoll cannot see, so a TLS subscriber is read until the kernel had nothing
// more and OpenSSL holds nothing, parsed a buffer at a time.
void load_run::read_tls_subscriber(std::size_t i) {
    subscriber& s = subs_[i];
    for (bool more = true; more;) {
        const std::size_t carried = s.carry.size();
        if (carried >= rbuf_.size() / 2) rbuf_.resize(carried * 2 + read_buffer_size);
        std::memcpy(rbuf_.data(), s.carry.data(), carried);
        std::size_t total = carried;
        bool closed = false;
        more = false;
        while (!closed) {
            if (rbuf_.size() - total < max_tls_record) {
                more = true;
                break;
            }
            const long n = s.tls.read(rbuf_.data() + total, rbuf_.size() - total);
            if (n == tls_conn::would_block) break;
            closed = n <= 0;
            if (n > 0) total += static_cast<std::size_t>(n);
            if (s.tls.drained() && !s.tls.has_pending()) break;
        }
        if (total > carried) {
            last_progress_ = now_ns();
            consume(i, total, arrival_ns(s.tls.stamp_wall_ns()));
            if (s.fd < 0) return;
        }
        if (closed) {
            close_subscriber(i);
            return;
        }
    }
}

// Frames in rbuf_[0, total) are taken; the start of an incomplete one is carried.
void load_run::consume(std::size_t i, std::size_t total, std::uint64_t now) {
    std::size_t pos = 0;
    ws_frame_view f;
    while (ws_parse_frame(rbuf_.data() + pos, total - pos, f)) {
        on_frame(i, f, now);
        if (subs_[i].fd < 0) return;
        pos += f.total;
    }
    last_delivery_ = last_progress_;
    subs_[i].carry.assign(rbuf_.data() + pos, total - pos);
}

// When the newest of the bytes just read arrived (for frames read in a batch,
// a little late for the older ones); the time of the read if the kernel gave none.
std::uint64_t load_run::arrival_ns(std::uint64_t wall_ns) const {
    if (wall_ns == 0) return last_progress_;
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(wall_ns) - realtime_offset_ns_);
}

void load_run::begin(run_result& r) {
    const std::size_t frame = o_.size + (o_.size < 126 ? 2 : 4);
    if (o_.rate == 0) {
        // Wake a subscriber only when a batch of frames is waiting, but never for
        // more than a quarter of what the window lets the relay send it.
        // With folders a subscriber gets folder_subs / folders of the window.
        auto window_bytes = static_cast<std::uint64_t>(o_.window) * frame;
        if (o_.folders > 0) window_bytes = window_bytes * o_.folder_subs / o_.folders;
        set_lowat(static_cast<int>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(o_.lowat, window_bytes / 4))));
    }
    // The default 50 µs timer slack would make a fixed rate late and lumpy.
    if (o_.rate > 0) prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    usleep(static_cast<useconds_t>(o_.settle_ms) * 1000);
    perf_on_ = o_.perf && perf_.start(o_.relay_pid);
    syscw0_ = process_syscw(o_.relay_pid);
    relay0_ = process_cpu_s(o_.relay_pid);
    relay_ticks0_ = pinned_cpu_ticks(o_.relay_pid);
    self0_ = self_cpu_s();
    r.rss_before_kib = process_rss_kib(o_.relay_pid);
    timespec wall{};
    clock_gettime(CLOCK_REALTIME, &wall);
    const std::uint64_t mono = now_ns();
    realtime_offset_ns_ =
        static_cast<std::int64_t>(wall.tv_sec) * 1'000'000'000 + wall.tv_nsec - static_cast<std::int64_t>(mono);
    t0_ = last_progress_ = mono;
}

// False when the run is over: everything delivered, the deadline, or no progress.
bool load_run::step(run_result& r, std::uint64_t deadline) {
    const std::uint64_t now = now_ns();
    publish(now);
    if (unique_ >= expected_) return false;
    if (now >= deadline) {
        r.timed_out = true;
        return false;
    }
    if (now - last_progress_ > static_cast<std::uint64_t>(o_.drain_ms) * 1'000'000) {
        if (lowat_ <= 1) {
            r.stalled = true;
            return false;
        }
        set_lowat(1);
        ++r.lowat_fallbacks;
        last_progress_ = now;
    }
    timespec wait{0, 50'000'000};
    if (o_.rate > 0 && sent_ < o_.messages) {
        const auto next = t0_ + static_cast<std::uint64_t>(static_cast<double>(sent_) * 1e9 / o_.rate);
        wait.tv_nsec = next > now ? static_cast<long>(std::min<std::uint64_t>(next - now, 50'000'000)) : 0;
    }
    const int n = epoll_pwait2(ep_, events_.data(), static_cast<int>(events_.size()), &wait, nullptr);
    for (int k = 0; k < n; ++k) dispatch(events_[static_cast<std::size_t>(k)]);
    return true;
}

void load_run::dispatch(const epoll_event& e) {
    if (e.data.u64 != publisher_tag) {
        read_subscriber(e.data.u64);
        return;
    }
    if ((e.events & EPOLLOUT) != 0) pub_alive_ = pub_.flush() && pub_alive_;
    if ((e.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && pub_alive_ && !pub_.on_readable()) {
        pub_alive_ = false;
        epoll_ctl(ep_, EPOLL_CTL_DEL, pub_.fd(), nullptr);
    }
    if (pub_alive_) watch_publisher();
}

void load_run::finish(run_result& r) {
    r.relay_cpu_s = relay0_ >= 0 ? process_cpu_s(o_.relay_pid) - relay0_ : -1;
    r.relay_kernel_share = kernel_share(relay_ticks0_, pinned_cpu_ticks(o_.relay_pid));
    r.self_cpu_s = self_cpu_s() - self0_;
    const long long syscw1 = process_syscw(o_.relay_pid);
    r.relay_syscw = syscw0_ >= 0 && syscw1 >= 0 ? syscw1 - syscw0_ : -1;
    r.relay_write_syscalls = perf_on_ ? perf_.stop() : -1;
    r.rss_after_kib = process_rss_kib(o_.relay_pid);
    // While the relay's connections are still open.
    r.kernel_tls_sessions = kernel_tls_sessions();
    if (!subs_.empty()) r.tls = subs_[0].tls.describe();
    r.elapsed_s = static_cast<double>((last_delivery_ > t0_ ? last_delivery_ : now_ns()) - t0_) / 1e9;
    r.published = sent_;
    r.publish_ok = pub_.ok();
    r.publish_errors = pub_.errors();
    r.publish_error = pub_.last_error();
    r.expected = expected_;
    r.unique = unique_;
    r.closed = closed_;
    for (const auto& s : subs_) {
        r.delivered += s.delivered;
        r.duplicates += s.duplicates;
        r.out_of_order += s.out_of_order;
        r.bad += s.bad;
        r.strays += s.strays;
    }
    r.latency = latency_;
    for (auto& s : subs_) {
        s.tls = tls_conn();
        if (s.fd >= 0) close(s.fd);
    }
    close(ep_);
}

}  // namespace

bool run_load(const options& o, run_result& r, std::string& err) {
    load_run run(o);
    if (!run.connect(err) || !run.wait_subscribed(err)) return false;
    run.begin(r);
    const auto deadline = now_ns() + static_cast<std::uint64_t>(o.timeout_s * 1e9);
    while (run.step(r, deadline)) {}
    run.finish(r);
    return true;
}

}  // namespace araldo::bench
