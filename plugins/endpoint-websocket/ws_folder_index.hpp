// Who hears which folder, on an endpoint with `folders: true`: every
// client's subscriptions indexed by folder, so that delivering a message
// looks up its folder and that folder's ancestors (one lookup per level)
// instead of scanning the clients. No I/O; unit-tested with plain
// subscribers.
#pragma once

#include "ws_string_map.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

struct folder_subscription {
    std::string folder;  // a valid folder (araldo::valid_folder)
    bool include_children = false;
    std::string message_type;  // empty: every type

    bool operator==(const folder_subscription&) const = default;
};

class folder_index;

// What a client keeps for the index (ws_session derives from it): its
// subscriptions, each with its place in the index, so that leaving is cheap.
class folder_subscriber {
public:
    const std::vector<folder_subscription>& subscriptions() const noexcept { return subscriptions_; }

private:
    friend class folder_index;
    std::vector<folder_subscription> subscriptions_;
    std::vector<std::uint32_t> slots_;  // subscriptions_[i] is entry slots_[i] of its folder's list
    std::uint64_t mark_ = 0;            // the last delivery that reached it: one copy per message
};

class folder_index {
public:
    // false: the subscriber has this very subscription already.
    bool add(folder_subscriber& who, folder_subscription sub);
    // false: it had no such subscription.
    bool remove(folder_subscriber& who, const folder_subscription& sub);
    void remove_all(folder_subscriber& who) noexcept;

    // Calls hear(subscriber) once for each subscriber with a subscription to
    // `folder`, or to an ancestor of it with include_children, whose message
    // type is empty or `type`. hear() must not change the index.
    template <class Hear>
    void for_each_listener(std::string_view folder, std::string_view type, Hear&& hear) {
        const std::uint64_t mark = ++mark_;
        visit_levels(folder, [&](std::string_view level, const std::vector<entry>& list) {
            const bool exact = level.size() == folder.size();
            for (const entry& e : list) {
                if (!exact && !e.children) continue;
                if (!e.type.empty() && e.type != type) continue;
                if (e.who->mark_ == mark) continue;
                e.who->mark_ = mark;
                hear(*e.who);
            }
        });
    }

    std::size_t folders() const noexcept { return by_folder_.size(); }
    std::size_t subscriptions() const noexcept { return count_; }

private:
    struct entry {
        folder_subscriber* who;
        std::uint32_t held;  // index into who->subscriptions_
        bool children;
        std::string type;
    };
    using map = string_map<std::vector<entry>>;

    // Calls visit(level, entries) for `folder` and each ancestor up to "/"
    // that has subscriptions.
    template <class Visit>
    void visit_levels(std::string_view folder, Visit&& visit) const {
        std::string_view level = folder;
        for (;;) {
            if (const auto it = by_folder_.find(level); it != by_folder_.end()) visit(level, it->second);
            if (level.size() <= 1) return;
            const auto cut = level.rfind('/');
            level = level.substr(0, cut == 0 ? 1 : cut);
        }
    }
    void erase_held(folder_subscriber& who, std::uint32_t held) noexcept;

    map by_folder_;
    std::size_t count_ = 0;
    std::uint64_t mark_ = 0;
};

}  // namespace araldo::plugins::endpoint_websocket
