#include "ws_history.hpp"

#include <araldo/message.hpp>

namespace araldo::plugins::endpoint_websocket {

namespace {

// 12 characters of a new message id's random part (60 bits): an epoch only
// has to differ from every other epoch the same folder had.
std::string new_epoch() { return araldo::new_message_id().substr(14); }

}  // namespace

folder_history::position folder_history::start(std::string_view folder, clock::time_point now) {
    auto it = rings_.find(folder);
    if (it == rings_.end()) it = rings_.emplace(std::string{folder}, ring{.epoch = new_epoch()}).first;
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
    r.items.push_back(item{.offset = ++r.last_offset, .time = now, .type = std::move(type), .frame = std::move(frame)});
    ++messages_;
    if (r.items.size() > settings_.size) {
        r.items.pop_front();
        --messages_;
    }
}

folder_history::missed folder_history::since(std::string_view folder, std::uint64_t offset, std::string_view epoch,
                                             clock::time_point now) {
    missed m;
    const auto it = rings_.find(folder);
    if (it == rings_.end() || it->second.epoch != epoch) return m;
    ring& r = it->second;
    trim(r, now);
    if (offset > r.last_offset) return m;  // an offset this epoch never gave
    if (offset == r.last_offset) {
        m.recovered = true;  // nothing missed
        return m;
    }
    // The ring must still hold offset + 1: everything after it is there, in order.
    if (r.items.empty() || r.items.front().offset > offset + 1) return m;
    m.recovered = true;
    for (auto i = r.items.begin() + static_cast<std::ptrdiff_t>(offset + 1 - r.items.front().offset);
         i != r.items.end(); ++i)
        m.items.push_back(&*i);
    return m;
}

std::optional<folder_history::position> folder_history::current(std::string_view folder) const {
    const auto it = rings_.find(folder);
    if (it == rings_.end()) return std::nullopt;
    return position{it->second.last_offset, it->second.epoch};
}

void folder_history::trim(ring& r, clock::time_point now) {
    while (!r.items.empty() && now - r.items.front().time > settings_.ttl) {
        r.items.pop_front();
        --messages_;
    }
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
