// Frames both ways: what deliver() sends over a link, and what arrives from
// the far side (events and requests into the routes, replies to the reply
// paths waiting for them).
#include "link_endpoint.hpp"
#include "link_frame.hpp"

#include <araldo/log_rate.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace araldo::plugins::endpoint_link {

namespace {

using clock = araldo::reply_path::clock;

}  // namespace

connection_ptr link_endpoint::live(std::string_view peer) const {
    auto it = links_.find(peer);
    if (it == links_.end() || !it->second->live()) return nullptr;
    return it->second;
}

araldo::delivery_result link_endpoint::deliver(const araldo::message_ptr& msg) {
    if (stopping_) return araldo::delivery_result::dropped("stopped");
    if (!msg->reply_to()) return send_event(msg);
    const auto& path = msg->reply_to();
    const auto peer = msg->attributes().get(peer_attribute);
    connection_ptr conn;
    if (settings_.role == link_role::client) {
        conn = live(settings_.peer_name);
    } else if (!peer) {
        requests("refused").inc();
        path->answer(araldo::reply::error(400, "a request to the hub needs link.peer: which client to ask"));
        return araldo::delivery_result::dropped("no_peer");
    } else {
        conn = live(*peer);
    }
    if (!conn) {
        requests("refused").inc();
        const std::string who = peer && settings_.role == link_role::server ? std::string(*peer) : settings_.peer_name;
        path->answer(araldo::reply::error(503, "no link to " + who));
        return araldo::delivery_result::dropped("no_link");
    }
    return send_request(msg, conn);
}

araldo::delivery_result link_endpoint::send_request(const araldo::message_ptr& msg, const connection_ptr& conn) {
    const auto& path = msg->reply_to();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(path->deadline() - clock::now()).count();
    if (left <= 0) {
        requests("timeout").inc();
        path->answer(araldo::reply::error(504, "the deadline passed before the request left"));
        return araldo::delivery_result::dropped("deadline");
    }
    const auto remaining = static_cast<std::uint32_t>(std::min<std::int64_t>(left, 0xffffffff));
    const auto correlation = pending_.add(path, conn->serial);
    std::string frame = encode_message(frame_kind::request, *msg, correlation, remaining);
    const auto size = frame.size();
    if (!conn->send(std::move(frame), true, settings_.send_queue)) {
        pending_.take(correlation);
        requests("refused").inc();
        warn(dropped("queue_full"), "request to " + conn->peer + " refused: send queue full");
        path->answer(araldo::reply::error(503, "link to " + conn->peer + " is full"));
        return araldo::delivery_result::dropped("queue_full");
    }
    messages_out_->inc();
    bytes_out_->inc(size);
    return araldo::delivery_result::ok();
}

araldo::delivery_result link_endpoint::send_event(const araldo::message_ptr& msg) {
    std::vector<connection_ptr> targets;
    if (settings_.role == link_role::client) {
        if (auto c = live(settings_.peer_name)) targets.push_back(std::move(c));
    } else if (const auto peer = msg->attributes().get(peer_attribute)) {
        if (auto c = live(*peer)) targets.push_back(std::move(c));
    } else {
        for (const auto& [name, conn] : links_)
            if (conn->live()) targets.push_back(conn);
    }
    if (targets.empty()) {
        warn(dropped("no_link"), "event " + msg->id() + " dropped: no link to send it on");
        return araldo::delivery_result::dropped("no_link");
    }
    const std::string frame = encode_message(frame_kind::event, *msg);
    std::size_t sent = 0;
    for (const auto& conn : targets) {
        if (!conn->send(frame, true, settings_.send_queue)) {
            warn(dropped("queue_full"), "event " + msg->id() + " to " + conn->peer + " dropped: send queue full");
            continue;
        }
        ++sent;
        messages_out_->inc();
        bytes_out_->inc(frame.size());
    }
    return sent > 0 ? araldo::delivery_result::ok() : araldo::delivery_result::dropped("queue_full");
}

void link_endpoint::on_frame(link_connection& conn, std::string_view bytes) {
    if (bytes.size() < 2 || static_cast<frame_kind>(bytes[1]) != frame_kind::batch) return take_frame(conn, bytes);
    auto parts = split_batch(bytes);
    if (!parts) {
        messages_in_->inc();
        bytes_in_->inc(bytes.size());
        return warn(dropped("malformed"), "malformed batch from " + conn.peer + ": " + parts.reason());
    }
    for (std::string_view part : parts.value()) take_frame(conn, part);
}

void link_endpoint::take_frame(link_connection& conn, std::string_view bytes) {
    ++conn.messages_in;
    messages_in_->inc();
    bytes_in_->inc(bytes.size());
    if (bytes.size() < 2)
        return warn(dropped("malformed"), "a frame of " + std::to_string(bytes.size()) + " bytes from " + conn.peer);
    switch (static_cast<frame_kind>(bytes[1])) {
        case frame_kind::reply: return take_reply(conn, bytes);
        case frame_kind::request: return ingest_message(conn, bytes, true);
        default: return ingest_message(conn, bytes, false);
    }
}

void link_endpoint::ingest_message(link_connection& conn, std::string_view bytes, bool request) {
    auto decoded = decode_frame(bytes);
    if (!decoded) return warn(dropped("malformed"), "malformed frame from " + conn.peer + ": " + decoded.reason());
    const frame& f = decoded.value();
    araldo::message::fields fields;
    fields.id = std::string(f.id);
    fields.payload = std::string(f.body);
    fields.binary = f.binary;
    fields.attributes.reserve(f.attributes.size() + 1);
    for (const auto& [k, v] : f.attributes) fields.attributes.set(std::string(k), std::string(v));
    // Set last: whatever the far side wrote, this says which link it came over.
    fields.attributes.set(std::string(peer_attribute), conn.peer);
    if (request) {
        // The answer goes back on this connection, if it is still the live one then.
        const auto correlation = f.correlation;
        std::weak_ptr<link_connection> weak = conn.shared_from_this();
        const auto deadline = clock::now() + std::chrono::milliseconds(f.remaining_ms);
        fields.reply_to = araldo::reply_path::make(deadline, [this, weak, correlation](araldo::reply r) {
            auto c = weak.lock();
            if (!c || !c->live()) {
                warn(dropped("reply_link_gone"), "a reply could not go back: its link is gone");
                return;
            }
            std::string frame = encode_reply(correlation, r);
            const auto size = frame.size();
            c->send(std::move(frame), false, settings_.send_queue);
            messages_out_->inc();
            bytes_out_->inc(size);
        });
    }
    ctx_.ingest(std::move(fields));  // a rejection is counted and logged by the core
}

void link_endpoint::take_reply(link_connection& conn, std::string_view bytes) {
    auto decoded = decode_frame(bytes);
    if (!decoded) return warn(dropped("malformed"), "malformed reply from " + conn.peer + ": " + decoded.reason());
    const frame& f = decoded.value();
    auto path = pending_.take(f.correlation);
    if (!path) return warn(dropped("late_reply"), "a reply from " + conn.peer + " for a request no longer waiting");
    araldo::reply r;
    r.status = f.status;
    r.content_type = std::string(f.content_type);
    r.body = std::string(f.body);
    r.return_code = f.return_code;
    requests("answered").inc();
    path->answer(std::move(r));
}

}  // namespace araldo::plugins::endpoint_link
