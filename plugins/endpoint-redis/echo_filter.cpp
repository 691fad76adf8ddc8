#include "echo_filter.hpp"

#include <algorithm>
#include <functional>

namespace araldo::plugins::endpoint_redis {

namespace {

// Matches one [...] class at p[0] == '['; advances p past it.
bool match_class(std::string_view& p, char c) {
    std::size_t i = 1;
    bool negate = i < p.size() && p[i] == '^';
    if (negate) ++i;
    bool found = false;
    for (; i < p.size() && p[i] != ']'; ++i) {
        if (p[i] == '\\' && i + 1 < p.size()) {
            found |= p[++i] == c;
        } else if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
            char lo = std::min(p[i], p[i + 2]), hi = std::max(p[i], p[i + 2]);
            found |= c >= lo && c <= hi;
            i += 2;
        } else {
            found |= p[i] == c;
        }
    }
    p.remove_prefix(std::min(i + 1, p.size()));  // an unclosed class runs to the end, as in Redis
    return found != negate;
}

std::uint64_t hash_of(std::string_view channel, std::string_view payload) {
    const std::uint64_t c = std::hash<std::string_view>{}(channel);
    const std::uint64_t p = std::hash<std::string_view>{}(payload);
    return p ^ (c + 0x9e3779b97f4a7c15ULL + (p << 6) + (p >> 2));
}

}  // namespace

bool redis_glob_match(std::string_view p, std::string_view t) {
    while (!p.empty()) {
        if (p[0] == '*') {
            while (!p.empty() && p[0] == '*') p.remove_prefix(1);
            if (p.empty()) return true;
            for (std::size_t i = 0; i < t.size(); ++i) {
                if (redis_glob_match(p, t.substr(i))) return true;
            }
            return false;
        }
        if (t.empty()) return false;
        if (p[0] == '[') {
            if (!match_class(p, t[0])) return false;
        } else {
            bool escaped = p[0] == '\\' && p.size() >= 2;
            if (escaped) p.remove_prefix(1);
            if ((escaped || p[0] != '?') && p[0] != t[0]) return false;
            p.remove_prefix(1);
        }
        t.remove_prefix(1);
    }
    return t.empty();
}

unsigned copies_received(std::string_view channel, const std::vector<std::string>& channels,
                         const std::vector<std::string>& patterns) {
    unsigned n = static_cast<unsigned>(std::count(channels.begin(), channels.end(), channel));
    for (const auto& p : patterns) n += redis_glob_match(p, channel) ? 1 : 0;
    return n;
}

echo_filter::echo_filter(clock::duration window, std::size_t capacity)
    : window_(window), capacity_(std::max<std::size_t>(capacity, 1)) {}

void echo_filter::published(std::string_view channel, std::string_view payload, unsigned copies,
                            clock::time_point now) {
    if (copies == 0) return;
    expire(now);
    if (fifo_.size() >= capacity_) {
        forget_front();
        ++evicted_;
    }
    std::uint64_t h = hash_of(channel, payload);
    fifo_.push_back({h, copies, now + window_});
    expected_[h] += copies;
}

bool echo_filter::take(std::string_view channel, std::string_view payload, clock::time_point now) {
    if (fifo_.empty()) return false;
    expire(now);
    auto it = expected_.find(hash_of(channel, payload));
    if (it == expected_.end()) return false;
    if (--it->second == 0) expected_.erase(it);
    return true;
}

// Drops the oldest publication's copies that have not come back (yet). Copies
// are consumed in publish order, so what is left for this hash most likely
// belongs to this oldest entry.
void echo_filter::forget_front() {
    const entry& front = fifo_.front();
    auto it = expected_.find(front.hash);
    if (it != expected_.end()) {
        it->second = it->second > front.copies ? it->second - front.copies : 0;
        if (it->second == 0) expected_.erase(it);
    }
    fifo_.pop_front();
}

void echo_filter::expire(clock::time_point now) {
    while (!fifo_.empty() && fifo_.front().expires <= now) forget_front();
}

}  // namespace araldo::plugins::endpoint_redis
