#include "ws_folders.hpp"

#include "ws_endpoint.hpp"
#include "ws_session.hpp"

#include <araldo/folder.hpp>
#include <araldo/log_rate.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace araldo::plugins::endpoint_websocket {

namespace {

araldo::counter& refusals(araldo::endpoint_context& ctx, std::string_view reason) {
    return araldo::endpoint_counter(ctx, "araldo_ws_folder_refusals_total",
                                    "folder-mode requests refused (subscriptions, messages), by reason",
                                    {{"reason", std::string{reason}}});
}

araldo::counter& resumes(araldo::endpoint_context& ctx, bool recovered) {
    return araldo::endpoint_counter(ctx, "araldo_ws_resumes_total",
                                    "subscriptions that asked to resume, by whether what they missed was still held",
                                    {{"recovered", recovered ? "true" : "false"}});
}

}  // namespace

folder_hub::folder_hub(ws_endpoint& ep)
    : ep_{ep},
      history_{ep.settings().history},
      expiry_{ep.ctx().executor()},
      refused_read_{refusals(ep.ctx(), "no_read_right")},
      refused_write_{refusals(ep.ctx(), "no_write_right")},
      refused_limit_{refusals(ep.ctx(), "max_subscriptions")},
      refused_invalid_{refusals(ep.ctx(), "invalid_request")},
      unaddressed_{araldo::endpoint_counter(ep.ctx(), "araldo_ws_unaddressed_total",
                                            "messages routed to a folder-mode endpoint without a folder: nobody "
                                            "subscribes to them")},
      resumed_{resumes(ep.ctx(), true)},
      not_recovered_{resumes(ep.ctx(), false)} {
    auto& ctx = ep.ctx();
    araldo::endpoint_gauge(ctx, "araldo_ws_subscriptions", "folder subscriptions held by clients",
                           [this] { return static_cast<double>(index_.subscriptions()); });
    if (history_.settings().enabled()) {
        araldo::endpoint_gauge(ctx, "araldo_ws_history_messages", "messages kept in folder histories",
                               [this] { return static_cast<double>(history_.messages()); });
        araldo::endpoint_gauge(ctx, "araldo_ws_history_folders", "folders with a history",
                               [this] { return static_cast<double>(history_.folders()); });
        arm_expiry();
    }
}

void folder_hub::arm_expiry() {
    // Often enough that memory follows ttl closely, rarely enough to cost nothing.
    const auto every =
        std::clamp<araldo::duration>(history_.settings().ttl / 4, std::chrono::seconds(1), std::chrono::seconds(30));
    expiry_.expires_after(every);
    // The core keeps endpoints alive while the event loop runs.
    expiry_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        history_.expire(folder_history::clock::now());
        arm_expiry();
    });
}

void folder_hub::stop() { expiry_.cancel(); }

araldo::delivery_result folder_hub::deliver(const araldo::message_ptr& msg, std::uint64_t skip) {
    const auto folder = msg->attributes().get(araldo::folder_attribute);
    if (!folder) {
        unaddressed_.inc();
        if (araldo::worth_logging(++unaddressed_warnings_))
            ep_.ctx().log().warn("message {} has no folder: a folder-mode endpoint delivers it to nobody ({} so far)",
                                 msg->id(), unaddressed_warnings_);
        return araldo::delivery_result::dropped("no_folder");
    }
    const bool keep = history_.settings().enabled();
    const auto now = folder_history::clock::now();
    const encoded e = ep_.ctx().marshalling().marshal(msg);
    std::optional<folder_history::position> at;
    if (keep) at = history_.next(*folder, now);
    delivery_stamp stamp{.folder = *folder};
    if (at) {
        stamp.offset = at->offset;
        stamp.epoch = at->epoch;
    }
    std::optional<std::string> stamped;
    if (!e.binary) stamped = stamp_message(e.bytes, stamp);
    const std::string_view bytes = stamped ? std::string_view{*stamped} : std::string_view{e.bytes};
    const bool binary = e.binary || !valid_utf8(bytes);
    const auto frame = make_frame(encode_frame(binary ? opcode::binary : opcode::text, bytes));
    if (keep) history_.record(*folder, std::string{msg->type()}, frame, now);
    index_.for_each_listener(*folder, msg->type(), [&](folder_subscriber& who) {
        auto& s = static_cast<ws_session&>(who);
        if (s.id() == skip) return;
        // Only a subscription through a parent can reach a folder the client may not read.
        if (const auto* r = s.rights(); r != nullptr && !r->may_read(*folder)) return;
        s.push(frame);
    });
    return araldo::delivery_result::ok();
}

void folder_hub::joined(ws_session& s) {
    s.push(make_frame(encode_frame(opcode::text, connect_json(s.id(), s.name(), s.own_folder()))));
}

void folder_hub::left(ws_session& s) noexcept { index_.remove_all(s); }

void folder_hub::rights_changed(ws_session& s) {
    const auto* rights = s.rights();
    if (rights == nullptr) return;
    std::vector<folder_subscription> lost;
    for (const auto& sub : s.subscriptions())
        if (!rights->may_read(sub.folder)) lost.push_back(sub);
    if (lost.empty()) return;
    std::vector<subscription_reply> replies;
    for (const auto& sub : lost) {
        index_.remove(s, sub);
        replies.push_back({.sub = &sub});
    }
    s.push(make_frame(encode_frame(opcode::text, subscriptions_json("unsubscribed", replies))));
}

void folder_hub::refuse(ws_session& s, std::string_view request, std::string_view folder, std::string_view why) {
    if (araldo::worth_logging(++refusal_warnings_))
        ep_.ctx().log().warn("client {}: {} refused{}{}: {} ({} so far)", s.id(), request,
                             folder.empty() ? "" : " for ", folder, why, refusal_warnings_);
    s.push(make_frame(encode_frame(opcode::text, request_error_json(request, folder, why))));
}

std::string folder_hub::from_client(ws_session& s, std::string payload, bool binary, araldo::attributes attrs) {
    client_request req;
    if (!binary) req = parse_client_request(payload);
    switch (req.what) {
        case client_request::kind::subscribe: subscribe(s, req); return {};
        case client_request::kind::unsubscribe: unsubscribe(s, req); return {};
        case client_request::kind::message: break;
    }
    const auto* rights = s.rights();
    if (req.folder) {
        // An invalid folder is the marshaller's to reject, with its reason.
        if (rights != nullptr && araldo::valid_folder(*req.folder) && !rights->may_write(*req.folder)) {
            refused_write_.inc();
            refuse(s, "message", *req.folder, "no write right on this folder");
            return {};
        }
    } else if (rights != nullptr && !rights->folder.empty()) {
        attrs.set(std::string{araldo::folder_attribute}, rights->folder);
    }
    araldo::message::fields f;
    f.payload = std::move(payload);
    f.binary = binary;
    f.attributes = std::move(attrs);
    auto r = ep_.ctx().ingest(std::move(f));
    return r ? std::string{} : std::move(r.error);
}

void folder_hub::subscribe(ws_session& s, client_request& req) {
    if (!req.error.empty()) {
        refused_invalid_.inc();
        return refuse(s, "subscribe", {}, req.error);
    }
    const auto now = folder_history::clock::now();
    std::vector<subscription_reply> accepted;
    std::vector<const folder_history::item*> replay;
    for (auto& r : req.subscriptions) {
        if (!r.error.empty()) {
            refused_invalid_.inc();
            refuse(s, "subscribe", r.sub.folder, r.error);
            continue;
        }
        if (const auto* rights = s.rights(); rights != nullptr && !rights->may_read(r.sub.folder)) {
            refused_read_.inc();
            refuse(s, "subscribe", r.sub.folder, "no read right on this folder");
            continue;
        }
        const auto& held = s.subscriptions();
        const bool had = std::find(held.begin(), held.end(), r.sub) != held.end();
        if (!had && held.size() >= ep_.settings().max_subscriptions) {
            refused_limit_.inc();
            refuse(s, "subscribe", r.sub.folder,
                   "max-subscriptions (" + std::to_string(ep_.settings().max_subscriptions) + ") reached");
            continue;
        }
        index_.add(s, r.sub);
        subscription_reply reply{.sub = &r.sub};
        if (history_.settings().enabled()) {
            const auto at = history_.start(r.sub.folder, now);
            reply.offset = at.offset;
            reply.epoch = at.epoch;
        }
        if (!r.since.empty()) {
            // All of it or nothing: a client told recovered: false starts afresh.
            const bool recovered = history_.settings().enabled() && resume(s, r, now, replay);
            (recovered ? resumed_ : not_recovered_).inc();
            reply.recovered = recovered;
        }
        accepted.push_back(reply);
    }
    if (!accepted.empty()) s.push(make_frame(encode_frame(opcode::text, subscriptions_json("subscribed", accepted))));
    if (replay.empty()) return;
    // Several subscriptions may cover the same folder: each message once,
    // and in the order the relay delivered them.
    std::sort(replay.begin(), replay.end(), [](const auto* a, const auto* b) { return a->seq < b->seq; });
    replay.erase(std::unique(replay.begin(), replay.end()), replay.end());
    for (const auto* item : replay) s.push(item->frame);
}

bool folder_hub::resume(const ws_session& s, const subscription_request& r, folder_history::clock::time_point now,
                        std::vector<const folder_history::item*>& out) {
    const auto& sub = r.sub;
    std::vector<folder_history::point> points;
    for (const auto& p : r.since) {
        // A point outside what the subscription covers resumes nothing it could hear.
        if (p.folder != sub.folder && !(sub.include_children && araldo::folder_within(p.folder, sub.folder)))
            return false;
        points.push_back({.folder = p.folder, .offset = p.offset, .epoch = p.epoch});
    }
    const auto* rights = s.rights();
    auto m = history_.resume(sub.folder, sub.include_children, points, now,
                             [&](std::string_view folder) { return rights == nullptr || rights->may_read(folder); });
    if (!m.recovered) return false;
    for (const auto* item : m.items)
        if (sub.message_type.empty() || item->type == sub.message_type) out.push_back(item);
    return true;
}

void folder_hub::unsubscribe(ws_session& s, client_request& req) {
    if (!req.error.empty()) {
        refused_invalid_.inc();
        return refuse(s, "unsubscribe", {}, req.error);
    }
    std::vector<subscription_reply> removed;
    for (auto& r : req.subscriptions) {
        if (!r.error.empty()) {
            refused_invalid_.inc();
            refuse(s, "unsubscribe", r.sub.folder, r.error);
            continue;
        }
        if (!index_.remove(s, r.sub)) {
            refused_invalid_.inc();
            refuse(s, "unsubscribe", r.sub.folder, "no such subscription");
            continue;
        }
        removed.push_back({.sub = &r.sub});
    }
    if (!removed.empty()) s.push(make_frame(encode_frame(opcode::text, subscriptions_json("unsubscribed", removed))));
}

}  // namespace araldo::plugins::endpoint_websocket
