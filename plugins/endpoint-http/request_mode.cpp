// endpoint-http in request mode: an HTTP request becomes a request message,
// and its HTTP response is the one reply that comes back through the
// message's reply_path. Each handler awaits its own reply_slot, so any number
// of requests wait at once without blocking the loop.
#include "http_endpoint.hpp"

#include "reply_slot.hpp"
#include "request_target.hpp"

#include <araldo/folder.hpp>
#include <araldo/log_rate.hpp>
#include <araldo/utf8.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

namespace araldo::plugins::endpoint_http {

namespace {

constexpr std::string_view result_names[] = {"ok", "timeout", "no_responder", "rejected", "overloaded"};

std::string lower_media_type(std::string_view content_type) {
    std::string media{content_type.substr(0, content_type.find(';'))};
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.pop_back();
    for (auto& c : media)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return media;
}

// A text payload can go on as text (a WebSocket text frame, a JSON string);
// anything else is carried as binary, byte for byte.
bool textual(std::string_view content_type, std::string_view body) {
    const std::string media = lower_media_type(content_type);
    const bool text_type = media.empty() ? body.empty()
                                         : media.starts_with("text/") || media == "application/json" ||
                                               media.ends_with("+json") || media == "application/xml" ||
                                               media.ends_with("+xml") ||
                                               media == "application/x-www-form-urlencoded";
    return text_type && valid_utf8(body);
}

// The reply_path's own 503 when every holder dropped the request unanswered
// (and a hop's "no link", which is the same to the caller).
bool from_no_responder(const araldo::reply& r) { return r.status == 503 && r.return_code == -1; }

}  // namespace

void http_endpoint::make_request_metrics() {
    for (std::size_t i = 0; i < results_.size(); ++i) {
        results_[i] = &araldo::endpoint_counter(ctx_, "araldo_http_request_results_total",
                                                "request mode: requests by what became of them",
                                                {{"result", std::string(result_names[i])}});
    }
    tally_->late = &araldo::endpoint_counter(ctx_, "araldo_http_late_replies_total",
                                             "request mode: replies that came after their request's deadline "
                                             "(already answered 504) and were dropped");
    tally_->log = &ctx_.log();
    araldo::endpoint_gauge(ctx_, "araldo_http_requests_in_flight", "request mode: requests awaiting their reply",
                           [tally = tally_] { return static_cast<double>(tally->in_flight); });
}

asio::awaitable<void> http_endpoint::drain_waiting() {
    // The responders are stopping too, and answer what they already hold (an
    // upstream request in progress, a link's far side): give those replies
    // half of shutdown-timeout to come back, so that the core's deadline still
    // finds every waiter answered.
    const auto until = std::chrono::steady_clock::now() + ctx_.global().shutdown_timeout / 2;
    asio::steady_timer tick{ctx_.executor()};
    while (!tally_->waiting.empty() && std::chrono::steady_clock::now() < until) {
        tick.expires_after(std::chrono::milliseconds(10));
        co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    // Their timers would keep the loop, and so the relay, alive until their
    // deadlines: answer them now. A reply for one of them comes too late.
    if (!tally_->waiting.empty())
        ctx_.log().warn("answering {} requests still waiting 503: the relay is stopping", tally_->waiting.size());
    for (reply_slot* slot : tally_->waiting) slot->fill(araldo::reply::error(503, "shutting down"));
}

void http_endpoint::request_tally::count_late() noexcept {
    if (!late) return;  // the endpoint is gone: the relay is exiting
    late->inc();
    if (log && araldo::worth_logging(late->value()))
        log->warn("a reply came after its request's deadline and was dropped ({} so far)", late->value());
}

asio::awaitable<http_response> http_endpoint::handle_request(http_request req) {
    if (tally_->in_flight >= settings_.max_in_flight) {
        http_response r = made_here(req, request_result::overloaded, 503,
                                    "too many requests in flight (max-in-flight " +
                                        std::to_string(settings_.max_in_flight) + "); retry later");
        count(r.status);
        co_return r;
    }
    struct in_flight_guard {
        std::shared_ptr<request_tally> tally;
        ~in_flight_guard() { --tally->in_flight; }
    } guard{tally_};
    ++tally_->in_flight;
    http_response r = co_await answer_request(req);
    r.headers.emplace_back("Cache-Control", "no-store");
    count(r.status);
    co_return r;
}

asio::awaitable<http_response> http_endpoint::answer_request(http_request& req) {
    message::fields f;
    // Six request attributes, the peer, the sender's two, and a verified
    // client certificate's names.
    f.attributes.reserve(12);
    if (auto refusal = request_fields(req, f)) {
        count_result(request_result::rejected);
        co_return std::move(*refusal);
    }
    const auto deadline = std::chrono::steady_clock::now() + settings_.timeout;
    auto slot = std::make_shared<reply_slot>(ctx_.executor(), [tally = tally_] { tally->count_late(); });
    struct waiting_entry {
        std::shared_ptr<request_tally> tally;
        std::shared_ptr<reply_slot> slot;
        std::list<reply_slot*>::iterator at;
        ~waiting_entry() {
            slot->close();
            tally->waiting.erase(at);
        }
    } const waiting{tally_, slot, tally_->waiting.insert(tally_->waiting.end(), slot.get())};
    f.reply_to = araldo::reply_path::make(deadline, [slot](araldo::reply r) { slot->fill(std::move(r)); });
    ingest_result routed = ctx_.ingest(std::move(f));
    if (!routed) {
        count_result(request_result::rejected);
        co_return refused(req, 400, routed.error);
    }
    const std::string id = routed.msg->id();
    // Held here, the message would keep its reply_path alive: a request that
    // no responder took must answer "no responder" now, not at the deadline.
    routed.msg.reset();
    if (!slot->filled()) co_await slot->wait_until(deadline);
    auto reply = slot->take();
    // A hop that gives up at the deadline lets go of the reply_path, which
    // then answers "no responder" in the same instant as this deadline: the
    // deadline passed, and that is what the caller learns.
    // Counted late either way, whichever timer fired first.
    if (reply && from_no_responder(*reply) && std::chrono::steady_clock::now() >= deadline) {
        reply.reset();
        tally_->count_late();
    }
    if (!reply) {
        co_return made_here(req, request_result::timeout, 504,
                            "no reply within " +
                                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(settings_.timeout)
                                                   .count()) +
                                " ms");
    }
    if (from_no_responder(*reply)) {
        count_result(request_result::no_responder);
        if (araldo::worth_logging(++own_5xx_))
            ctx_.log().warn("503 for {} {} from {}: {} ({} so far)", req.method, req.target, req.remote_address,
                            stopping_ ? "shutting down" : "no responder", own_5xx_);
    } else {
        count_result(request_result::ok);
        ctx_.log().debug("{} {} from {}: {} (return code {}) id={}", req.method, req.target, req.remote_address,
                         reply->status, reply->return_code, id);
    }
    co_return to_response(std::move(*reply));
}

std::optional<http_response> http_endpoint::request_fields(http_request& req, message::fields& f) {
    std::shared_ptr<const araldo::key_store> keys;
    const araldo::key_entry* key = nullptr;
    if (auto denied = admit(req, keys, key, f)) return denied;
    auto target = parse_request_target(req.target, settings_.path, settings_.peer_in_path);
    if (!target) return refused(req, 400, target.reason());
    auto folder = folder_of(req);
    if (!folder) return refused(req, 400, folder.reason());
    if (folder.value()) f.attributes.set(std::string(araldo::folder_attribute), std::move(*folder.value()));
    const std::string content_type{req.header("content-type").value_or("")};
    f.binary = !textual(content_type, req.body);
    f.payload = std::move(req.body);
    araldo::set_request_attributes(f.attributes, req.method, target.value().noun, target.value().args, req.query,
                                   content_type);
    if (settings_.peer_in_path) f.attributes.set("link.peer", std::move(target.value().peer));
    return add_sender(req, key, f);
}

http_response http_endpoint::to_response(araldo::reply r) {
    // What the listener could not send as it is: a status that is no final
    // one, a content type that would break the header.
    if (r.status < 200 || r.status > 599) {
        return to_response(araldo::reply::exception("the responder answered with status " + std::to_string(r.status),
                                                     "invalid_reply", r.return_code == 0 ? 1 : r.return_code));
    }
    http_response out;
    out.status = r.status;
    out.content_type = valid_header_value(r.content_type) ? std::move(r.content_type) : "application/octet-stream";
    out.body = std::move(r.body);
    out.headers.emplace_back("X-Event-Return-Code", std::to_string(r.return_code));
    return out;
}

http_response http_endpoint::made_here(const http_request& req, request_result result, unsigned status,
                                       std::string_view why) {
    count_result(result);
    if (araldo::worth_logging(++own_5xx_))
        ctx_.log().warn("{} for {} {} from {}: {} ({} so far)", status, req.method, req.target, req.remote_address, why,
                        own_5xx_);
    return to_response(araldo::reply::error(status, why));
}

}  // namespace araldo::plugins::endpoint_http
