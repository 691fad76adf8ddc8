// Requests sent over a link and not yet answered: correlation id -> the
// reply_path to answer (never the message: its payload need not stay alive).
// Each entry knows the connection it went out on, so a lost link answers
// exactly its own, and its deadline, so a far side that never answers costs
// nothing past it.
#pragma once

#include <araldo/request.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace araldo::plugins::endpoint_link {

class pending_requests {
public:
    using path_ptr = std::shared_ptr<araldo::reply_path>;

    std::uint64_t add(path_ptr path, std::uint64_t connection) {
        const std::uint64_t id = next_++;
        entries_.emplace(id, entry{std::move(path), connection});
        return id;
    }

    // Null when the id is unknown (answered, expired or lost already).
    path_ptr take(std::uint64_t id) {
        auto it = entries_.find(id);
        if (it == entries_.end()) return nullptr;
        path_ptr p = std::move(it->second.path);
        entries_.erase(it);
        return p;
    }

    std::vector<path_ptr> take_expired(araldo::reply_path::clock::time_point now) {
        return take_if([now](const entry& e) { return e.path->deadline() <= now || e.path->answered(); });
    }

    std::vector<path_ptr> take_connection(std::uint64_t connection) {
        return take_if([connection](const entry& e) { return e.connection == connection; });
    }

    std::size_t size() const noexcept { return entries_.size(); }
    std::size_t count(std::uint64_t connection) const {
        std::size_t n = 0;
        for (const auto& [id, e] : entries_) n += e.connection == connection ? 1 : 0;
        return n;
    }

private:
    struct entry {
        path_ptr path;
        std::uint64_t connection;
    };

    template <class Pred>
    std::vector<path_ptr> take_if(Pred pred) {
        std::vector<path_ptr> out;
        for (auto it = entries_.begin(); it != entries_.end();) {
            if (pred(it->second)) {
                out.push_back(std::move(it->second.path));
                it = entries_.erase(it);
            } else {
                ++it;
            }
        }
        return out;
    }

    std::unordered_map<std::uint64_t, entry> entries_;
    std::uint64_t next_ = 1;
};

}  // namespace araldo::plugins::endpoint_link
