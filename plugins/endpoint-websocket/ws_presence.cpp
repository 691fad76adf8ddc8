#include "ws_presence.hpp"

namespace araldo::plugins::endpoint_websocket {

presence::presence(boost::asio::any_io_executor ex, araldo::duration offline_after, announce to)
    : offline_after_{offline_after}, announce_{std::move(to)}, timer_{std::move(ex)} {}

void presence::connected(std::string_view identity, std::string_view folder, std::uint64_t client,
                         std::string_view remote_address) {
    if (stopped_) return;
    if (identity.empty()) {
        announce_({"client.connected", identity, folder, client, remote_address});
        return;
    }
    auto [it, first] = online_.try_emplace(std::string{identity});
    state& s = it->second;
    // Back before its departure was announced: the departure no longer counts.
    const bool was_online = !first;
    ++s.generation;
    ++s.connections;
    s.client = client;
    s.folder = folder;
    s.remote_address = remote_address;
    if (!was_online) announce_({"client.connected", identity, folder, client, remote_address});
}

void presence::disconnected(std::string_view identity, std::string_view folder, std::uint64_t client,
                            std::string_view remote_address) {
    // Clients closed by a shutdown are not announced: they come back to the next relay.
    if (stopped_) return;
    if (identity.empty()) {
        announce_({"client.disconnected", identity, folder, client, remote_address});
        return;
    }
    const auto it = online_.find(identity);
    if (it == online_.end() || it->second.connections == 0) return;
    state& s = it->second;
    s.client = client;
    s.remote_address = remote_address;
    if (--s.connections > 0) return;
    if (offline_after_.count() == 0) {
        announce_({"client.disconnected", identity, s.folder, client, remote_address});
        online_.erase(it);
        return;
    }
    queue_.push_back(departure{clock::now() + offline_after_, std::string{identity}, s.generation});
    arm();
}

void presence::arm() {
    if (armed_ || queue_.empty()) return;
    armed_ = true;
    timer_.expires_at(queue_.front().due);
    // The endpoint owns this and outlives the event loop's last handler of it.
    timer_.async_wait([this](const boost::system::error_code& ec) {
        armed_ = false;
        if (ec) return;
        due(clock::now());
        arm();
    });
}

void presence::due(clock::time_point now) {
    while (!queue_.empty() && queue_.front().due <= now) {
        const departure d = std::move(queue_.front());
        queue_.pop_front();
        const auto it = online_.find(d.identity);
        // Came back since (another generation), or is connected again.
        if (it == online_.end() || it->second.generation != d.generation || it->second.connections > 0) continue;
        const state s = std::move(it->second);
        online_.erase(it);
        announce_({"client.disconnected", d.identity, s.folder, s.client, s.remote_address});
    }
}

void presence::stop() {
    stopped_ = true;
    timer_.cancel();
    queue_.clear();
}

}  // namespace araldo::plugins::endpoint_websocket
