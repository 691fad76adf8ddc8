#include "ws_history.hpp"

#include <araldo/message.hpp>

#include <algorithm>

namespace araldo::plugins::endpoint_websocket {

namespace {

// 12 characters of a new message id's random part (60 bits): an epoch only
// has to differ from every other epoch the same folder had.
std::string new_epoch() { return araldo::new_message_id().substr(14); }

}  // namespace

folder_history::position folder_history::start(std::string_view folder, clock::time_point now) {
    auto it = rings_.find(folder);
    if (it == rings_.end())
        it = rings_.emplace(std::string{folder}, ring{.epoch = new_epoch(), .born_seq = seq_, .last_seq = seq_}).first;
    it->second.last_used = now;
    return {it->second.last_offset, it->second.epoch};
}

folder_history::position folder_history::next(std::string_view folder, clock::time_point now) {
    const auto at = start(folder, now);
    return {at.offset + 1, at.epoch};
}

void folder_history::record(std::string_view folder, std::string type, frame_ptr frame, clock::time_point now) {
    const auto it = rings_.find(folder);
    if (it == rings_.end()) return;  // next() makes it; nothing forgets it in between
    ring& r = it->second;
    r.last_seq = ++seq_;
    r.items.push_back(item{
        .offset = ++r.last_offset, .seq = r.last_seq, .time = now, .type = std::move(type), .frame = std::move(frame)});
    ++messages_;
    if (r.items.size() > settings_.size) drop_front(r);
}

std::optional<folder_history::position> folder_history::current(std::string_view folder) const {
    const auto it = rings_.find(folder);
    if (it == rings_.end()) return std::nullopt;
    return position{it->second.last_offset, it->second.epoch};
}

std::optional<std::uint64_t> folder_history::known_until(const ring& r, std::uint64_t offset) {
    if (offset > r.last_offset) return std::nullopt;
    if (offset == r.last_offset) return r.last_seq;
    if (r.items.empty() || r.items.front().offset > offset + 1) return std::nullopt;  // gone
    // Offset 0: the client knew the ring before anything came.
    if (offset == 0) return r.born_seq;
    // Its message was the last one dropped: drops go oldest first.
    if (r.items.front().offset == offset + 1) return r.dropped_seq;
    return r.items[offset - r.items.front().offset].seq;
}

folder_history::missed folder_history::resume(std::string_view root, bool children, const std::vector<point>& points,
                                              clock::time_point now,
                                              const std::function<bool(std::string_view)>& readable) {
    missed m;
    std::uint64_t horizon = 0;
    for (const auto& p : points) {
        const auto it = rings_.find(p.folder);
        if (it == rings_.end() || it->second.epoch != p.epoch) return m;
        ring& r = it->second;
        trim(r, now);
        const auto known = known_until(r, p.offset);
        if (!known) return m;
        horizon = std::max(horizon, *known);
        if (!readable(p.folder)) continue;
        for (const auto& i : r.items)
            if (i.offset > p.offset) m.items.push_back(&i);
    }
    const auto has_point = [&](std::string_view folder) {
        return std::any_of(points.begin(), points.end(), [&](const point& p) { return p.folder == folder; });
    };
    const auto unknown_folder = [&](ring& r) {
        trim(r, now);
        // Something after the horizon is gone already.
        if (r.dropped_seq > horizon) return false;
        for (const auto& i : r.items)
            if (i.seq > horizon) m.items.push_back(&i);
        return true;
    };
    if (!has_point(root)) {
        if (const auto it = rings_.find(root); it != rings_.end() && readable(root) && !unknown_folder(it->second))
            return m;
    }
    if (children) {
        // The folders below root are one range, from root + "/" on ("/a-b"
        // sorts between "/a" and "/a/b"); below "/" is everything but "/".
        const std::string prefix = root == "/" ? std::string{"/"} : std::string{root} + "/";
        for (auto it = rings_.lower_bound(prefix); it != rings_.end() && it->first.starts_with(prefix); ++it) {
            if (it->first == root || has_point(it->first) || !readable(it->first)) continue;
            if (!unknown_folder(it->second)) return m;
        }
    }
    std::sort(m.items.begin(), m.items.end(), [](const item* a, const item* b) { return a->seq < b->seq; });
    m.items.erase(std::unique(m.items.begin(), m.items.end()), m.items.end());
    m.recovered = true;
    return m;
}

void folder_history::drop_front(ring& r) {
    r.dropped_seq = r.items.front().seq;
    r.items.pop_front();
    --messages_;
}

void folder_history::trim(ring& r, clock::time_point now) {
    while (!r.items.empty() && now - r.items.front().time > settings_.ttl) drop_front(r);
}

void folder_history::expire(clock::time_point now) {
    for (auto it = rings_.begin(); it != rings_.end();) {
        trim(it->second, now);
        // An idle folder's position goes with its last message: a client
        // coming back later is told recovered: false, as it would be by a ring
        // that had moved on.
        if (it->second.items.empty() && now - it->second.last_used > settings_.ttl) it = rings_.erase(it);
        else ++it;
    }
}

}  // namespace araldo::plugins::endpoint_websocket
