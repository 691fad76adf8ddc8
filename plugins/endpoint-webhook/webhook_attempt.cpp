// One attempt and what follows from its outcome; the operator's actions on
// dead letters and disabled endpoints.
#include "webhook_endpoint.hpp"

#include <araldo/encoding.hpp>
#include <araldo/log_payload.hpp>
#include <araldo/signing.hpp>
#include <araldo/time.hpp>

#include <spdlog/spdlog.h>

namespace araldo::plugins::endpoint_webhook {

namespace {

std::string form_encode(std::string_view payload) {
    return "payload=" + araldo::percent_encode(payload, araldo::percent_keep::unreserved, true);
}

}  // namespace

std::string webhook_endpoint::body_for(const delivery& d) const {
    return settings_.format == body_format::form ? form_encode(d.payload) : d.payload;
}

string_pairs webhook_endpoint::headers_for(const delivery& d, const std::string& body) const {
    string_pairs h;
    h.emplace_back("Content-Type", settings_.format == body_format::form ? "application/x-www-form-urlencoded"
                                   : d.binary                            ? "application/octet-stream"
                                                                         : "application/json");
    auto ts = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    h.emplace_back("webhook-id", d.id);
    const std::string timestamp = std::to_string(ts.count());
    h.emplace_back("webhook-timestamp", timestamp);
    if (!settings_.secrets.empty())
        h.emplace_back("webhook-signature", standard_webhook_header(settings_.secrets, d.id, timestamp, body));
    for (const auto& extra : settings_.headers) h.push_back(extra);  // set after ours: config wins
    return h;
}

asio::awaitable<void> webhook_endpoint::attempt(std::size_t slot, delivery_queue::ptr d) {
    ++d->attempts;
    std::string body = body_for(*d);
    string_pairs headers = headers_for(*d, body);
    if (settings_.log_payloads) {
        // The body, never the headers: Authorization and the signature stay out of the log.
        ctx_.log().info("REQUEST {} POST {} attempt={} {}", d->id, settings_.url.text, d->attempts,
                        araldo::loggable_payload(body, logged_body_limit));
    } else {
        ctx_.log().info("REQUEST {} POST {} attempt={}", d->id, settings_.url.text, d->attempts);
    }
    attempt_result r = co_await client_.post(slot, std::move(headers), std::move(body), settings_.timeout);
    // After stop() the delivery is already saved as pending; its outcome no longer matters.
    if (stopping_) co_return;
    settle(d, r);
}

void webhook_endpoint::count_attempt(const attempt_result& r) {
    std::string_view label = outcome_label(r);
    auto it = attempts_by_outcome_.find(label);
    if (it == attempts_by_outcome_.end()) {
        auto& c = araldo::endpoint_counter(ctx_, "araldo_webhook_attempts_total",
                                           "delivery attempts by outcome (2xx..5xx, timeout, error)",
                                           {{"outcome", std::string(label)}});
        it = attempts_by_outcome_.emplace(std::string(label), &c).first;
    }
    it->second->inc();
    latency_ms_.inc(static_cast<std::uint64_t>(r.elapsed.count()));
    responses_.inc();
}

void webhook_endpoint::settle(const delivery_queue::ptr& d, const attempt_result& r) {
    if (r.status && settings_.log_payloads) {
        std::string body = araldo::loggable_payload(r.body_head, logged_body_limit);
        if (r.body_bytes > r.body_head.size() && r.body_head.size() == logged_body_limit)
            body += "... (" + std::to_string(r.body_bytes - r.body_head.size()) + " more bytes)";
        ctx_.log().info("RESPONSE {} {} {} {}", d->id, r.status, r.elapsed.count(), body);
    } else if (r.status) {
        ctx_.log().info("RESPONSE {} {} {}", d->id, r.status, r.elapsed.count());
    } else {
        ctx_.log().info("RESPONSE {} {} {}", d->id, r.error, r.elapsed.count());
    }
    count_attempt(r);
    d->record({unix_ms_now(), r.status, r.error});
    switch (classify(r)) {
        case verdict::success:
            delivered_.inc();
            finished(d->id);
            break;
        case verdict::retry: retry_later(d, r); break;
        case verdict::fail:
            if (r.status >= 300 && r.status < 400) d->last_error += " (redirects are not followed)";
            dead_letter(d);
            break;
        case verdict::disable: disable(d); break;
    }
}

void webhook_endpoint::retry_later(const delivery_queue::ptr& d, const attempt_result& r) {
    std::uniform_real_distribution<double> jitter(-1.0, 1.0);
    auto delay = next_delay(settings_.schedule, d->attempts, r.retry_after, jitter(rng_));
    if (!delay) {
        dead_letter(d);
        return;
    }
    retries_.inc();
    d->next_at_ms = unix_ms_now() + delay->count();
    ctx_.log().debug("{} attempt {} failed ({}): next in {} ms", d->id, d->attempts, d->last_error, delay->count());
    queue_.reschedule(d, clock::now() + *delay);
    // An idle worker may be asleep until a later due time (or forever): let it
    // recompute, or this retry would wait for the busy ones.
    wake_one();
}

void webhook_endpoint::disable(const delivery_queue::ptr& d) {
    if (!disabled_) {
        disabled_ = true;
        disabled_since_ = araldo::format_utc(std::chrono::system_clock::now());
        ctx_.log().error(
            "{} answered 410 Gone: endpoint disabled, {} deliveries held until "
            "POST /_admin/endpoints/{}/enable",
            settings_.url.text, queue_.size(), name());
    }
    queue_.reschedule(d, clock::now());  // held, first in line when enabled
}

retry_status webhook_endpoint::retry_dead_letter(const std::string& id) {
    if (stopping_) return retry_status::failed;
    auto d = dead_.read(id);
    if (!d) return retry_status::not_found;
    if (queue_.contains(d->id)) return retry_status::pending;
    // A fresh schedule; the history stays, so the next dead letter shows both rounds.
    d->attempts = 0;
    d->dead_at_ms = 0;
    d->endpoint = name();
    try {
        d->spool_record = pending_.added(*d);
    } catch (const std::exception& e) {
        ctx_.log().error("spool write failed, dead letter {} stays: {}", id, e.what());
        return retry_status::failed;
    }
    dead_.remove(id);
    accept(std::make_shared<delivery>(std::move(*d)));
    ctx_.log().info("dead letter {} queued again", id);
    return retry_status::queued;
}

std::size_t webhook_endpoint::retry_all_dead_letters() {
    std::size_t n = 0;
    for (auto& f : list_dead_letters(ctx_.global().data_dir, name()))
        n += retry_dead_letter(f.d.id) == retry_status::queued;
    return n;
}

void webhook_endpoint::enable() {
    if (!disabled_) return;
    disabled_ = false;
    ctx_.log().info("enabled by an operator: sending {} held deliveries", queue_.size());
    queue_.all_due_now(clock::now());
    wake_all();
}

}  // namespace araldo::plugins::endpoint_webhook
