// The endpoint's files: what start() resumes, what stop() saves, and the
// work handed to the disk_writer thread (dead letters, spool compaction),
// whose completions come back to the core thread.
#include "webhook_endpoint.hpp"

#include <araldo/log_rate.hpp>

#include <spdlog/spdlog.h>

#include <unordered_set>

namespace araldo::plugins::endpoint_webhook {

void webhook_endpoint::start() {
    if (started_) return;
    // Before the saved queue is loaded, so that a start refused here leaves
    // data-dir as it was. The SDK's message names the file and OpenSSL's
    // reason; the core logs it and exits 1.
    client_.load_tls();
    pending_store::loaded saved;
    try {
        saved = pending_.load();
        quarantined(saved.quarantined, "queue.jsonl/spool.jsonl");
        quarantined(dead_.quarantine_unreadable(), "deadletters/");
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("cannot load the saved deliveries from ") +
                                 endpoint_dir(ctx_.global().data_dir, ctx_.name()).string() + ": " + e.what() +
                                 " (check data-dir's permissions and free space)");
    }
    auto& syncs =
        araldo::endpoint_counter(ctx_, "araldo_webhook_spool_syncs_total", "spool fdatasync calls (writer thread)");
    auto& sync_ms = araldo::endpoint_counter(ctx_, "araldo_webhook_spool_sync_ms_total",
                                             "milliseconds spent in spool fdatasync, all together (writer thread)");
    writer_.on_synced = [this, &syncs, &sync_ms](std::chrono::milliseconds took, const araldo::result<>& synced) {
        syncs.inc();
        sync_ms.inc(static_cast<std::uint64_t>(took.count()));
        if (!synced && araldo::worth_logging(++sync_error_seen_))
            ctx_.log().error("spool fdatasync failed: {} ({} so far)", synced.reason(), sync_error_seen_);
    };
    writer_.start();
    pending_.use_writer(&writer_);
    started_ = true;
    auto now_ms = unix_ms_now();
    auto now = clock::now();
    for (auto& d : saved.deliveries) {
        d.endpoint = ctx_.name();
        auto wait = std::chrono::milliseconds(std::max<std::int64_t>(0, d.next_at_ms - now_ms));
        queue_.add(std::make_shared<delivery>(std::move(d)), now + wait);
    }
    if (!saved.deliveries.empty())
        ctx_.log().info("resumed {} pending deliveries from {}", saved.deliveries.size(), ctx_.global().data_dir);
}

void webhook_endpoint::quarantined(std::size_t n, std::string_view where) {
    if (n == 0) return;
    quarantined_.inc(n);
    if (araldo::worth_logging(++quarantine_seen_))
        ctx_.log().error("{} unreadable records in {} moved to {} ({} so far)", n, where,
                         (endpoint_dir(ctx_.global().data_dir, ctx_.name()) / "quarantine").string(),
                         quarantined_.value());
}

void webhook_endpoint::stop() {
    if (stopping_) return;
    stopping_ = true;
    if (started_) {
        // Dead letters and snapshots already handed over are finished first,
        // so that what is saved below does not include a written dead letter.
        writer_.stop();
        // Saved before anything else: the core may end the process at shutdown-timeout.
        // Requests in flight are abandoned and counted as pending; the receiver
        // de-duplicates by webhook-id if one of them did arrive.
        auto pending = to_save();
        try {
            pending_.save(pending);
            if (!pending.empty()) ctx_.log().info("saved {} pending deliveries for the next start", pending.size());
        } catch (const std::exception& e) {
            ctx_.log().error("cannot save {} pending deliveries: {}", pending.size(), e.what());
        }
    }
    client_.close_all();
    wake_all();
}

std::vector<const delivery*> webhook_endpoint::to_save() const {
    std::vector<const delivery*> out;
    for (const delivery* d : queue_.pending()) {
        std::error_code ec;
        if (d->dead_at_ms != 0 && fs::exists(dead_.path_for(d->id), ec)) continue;  // its dead letter is written
        out.push_back(d);
    }
    return out;
}

void webhook_endpoint::dead_letter(const delivery_queue::ptr& d) {
    d->dead_at_ms = unix_ms_now();
    d->next_at_ms = 0;
    dead_letters_.inc();
    auto now = clock::now();
    recent_dead_.push_back(now);
    // Only the last hour matters to health(); the cap bounds a storm of failures.
    while (recent_dead_.size() > 1000 || recent_dead_.front() < now - std::chrono::hours(1)) recent_dead_.pop_front();
    // Pending (in the queue and the spool) until the file is written.
    if (!dead_backlog_.empty()) {
        dead_backlog_.push_back(d);
        return;
    }
    store_dead_letter(d);
}

void webhook_endpoint::store_dead_letter(const delivery_queue::ptr& d) {
    fs::path path = dead_.path_for(d->id);
    std::string text = to_json(*d) + "\n";
    bool handed = writer_.submit_file(std::move(path), std::move(text),
                                      [this, d](araldo::result<> written) { dead_letter_written(d, written); });
    if (handed) return;
    writer_busy_.inc();
    if (araldo::worth_logging(++writer_busy_seen_))
        ctx_.log().warn("the disk writer is busy: dead letter {} waits in memory ({} so far)", d->id,
                        writer_busy_seen_);
    dead_backlog_.push_back(d);
}

void webhook_endpoint::dead_letter_written(const delivery_queue::ptr& d, const araldo::result<>& written) {
    if (stopping_) return;  // stop() saved it, or found its file
    if (written) {
        ctx_.log().warn("{} is a dead letter after {} attempts: {}", d->id, d->attempts, d->last_error);
    } else {
        // Not silently: the whole delivery goes to the log.
        ctx_.log().error("cannot store dead letter {} ({}): {}", d->id, written.reason(), to_json(*d));
    }
    finished(d->id);
    drain_dead_backlog();
}

void webhook_endpoint::drain_dead_backlog() {
    while (!dead_backlog_.empty() && writer_.queued() < writer_jobs) {
        auto d = std::move(dead_backlog_.front());
        dead_backlog_.pop_front();
        store_dead_letter(d);
    }
}

void webhook_endpoint::finished(const std::string& id) {
    queue_.finish(id);
    try {
        if (pending_.done(id, queue_.size())) begin_compaction();
    } catch (const std::exception& e) {
        if (araldo::worth_logging(++spool_error_seen_))
            ctx_.log().error("spool: {} ({} so far)", e.what(), spool_error_seen_);
    }
}

// The snapshot is the deliveries' own spool lines (shared, immutable), put
// together and synced by the writer; finish_compaction then swaps it in.
void webhook_endpoint::begin_compaction() {
    auto records = pending_.begin_compaction(queue_.pending());
    if (!records) return;
    bool handed = writer_.submit(
        [path = pending_.next_path(), records = std::move(*records)] { pending_store::write_snapshot(path, records); },
        [this](araldo::result<> written) { compaction_written(written); });
    if (handed) return;
    writer_busy_.inc();
    pending_.finish_compaction(false, queue_.size());  // put off until a later "done"
}

void webhook_endpoint::compaction_written(const araldo::result<>& written) {
    if (stopping_) return;
    if (!written && araldo::worth_logging(++spool_error_seen_)) {
        ctx_.log().error("spool compaction failed, the spool stays as it is: {} ({} so far)", written.reason(),
                         spool_error_seen_);
    }
    try {
        pending_.finish_compaction(static_cast<bool>(written), queue_.size());
    } catch (const std::exception& e) {
        if (araldo::worth_logging(++spool_error_seen_))
            ctx_.log().error("spool compaction: {} ({} so far)", e.what(), spool_error_seen_);
    }
    drain_dead_backlog();
}

}  // namespace araldo::plugins::endpoint_webhook
