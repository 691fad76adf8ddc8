#include "ws_folder_index.hpp"

#include <algorithm>

namespace araldo::plugins::endpoint_websocket {

bool folder_index::add(folder_subscriber& who, folder_subscription sub) {
    if (std::find(who.subscriptions_.begin(), who.subscriptions_.end(), sub) != who.subscriptions_.end()) return false;
    // Room first, so that nothing is half added when memory runs out.
    who.subscriptions_.reserve(who.subscriptions_.size() + 1);
    who.slots_.reserve(who.slots_.size() + 1);
    auto it = by_folder_.find(sub.folder);
    if (it == by_folder_.end()) it = by_folder_.emplace(sub.folder, std::vector<entry>{}).first;
    auto& list = it->second;
    list.push_back(
        entry{&who, static_cast<std::uint32_t>(who.subscriptions_.size()), sub.include_children, sub.message_type});
    who.slots_.push_back(static_cast<std::uint32_t>(list.size() - 1));
    who.subscriptions_.push_back(std::move(sub));
    ++count_;
    return true;
}

bool folder_index::remove(folder_subscriber& who, const folder_subscription& sub) {
    const auto it = std::find(who.subscriptions_.begin(), who.subscriptions_.end(), sub);
    if (it == who.subscriptions_.end()) return false;
    erase_held(who, static_cast<std::uint32_t>(it - who.subscriptions_.begin()));
    return true;
}

void folder_index::remove_all(folder_subscriber& who) noexcept {
    while (!who.subscriptions_.empty()) erase_held(who, static_cast<std::uint32_t>(who.subscriptions_.size() - 1));
}

// Both lists fill the hole with their last element, whose partner in the
// other list is told where it went.
void folder_index::erase_held(folder_subscriber& who, std::uint32_t held) noexcept {
    const auto it = by_folder_.find(who.subscriptions_[held].folder);
    auto& list = it->second;
    const std::uint32_t slot = who.slots_[held];
    if (slot + 1 != list.size()) {
        list[slot] = std::move(list.back());
        list[slot].who->slots_[list[slot].held] = slot;
    }
    list.pop_back();
    if (list.empty()) by_folder_.erase(it);

    const auto last = static_cast<std::uint32_t>(who.subscriptions_.size() - 1);
    if (held != last) {
        who.subscriptions_[held] = std::move(who.subscriptions_[last]);
        who.slots_[held] = who.slots_[last];
        const auto moved = by_folder_.find(who.subscriptions_[held].folder);
        moved->second[who.slots_[held]].held = held;
    }
    who.subscriptions_.pop_back();
    who.slots_.pop_back();
    --count_;
}

}  // namespace araldo::plugins::endpoint_websocket
