// endpoint-webhook: POSTs every routed message to one URL, signed the
// Standard Webhooks way, retried on a schedule, dead-lettered when it keeps
// failing, saved on a graceful stop and (with spool) written ahead.
//
// `max-in-flight` worker coroutines, each owning one kept-alive connection
// (a slot of http_client), take due deliveries from the queue. Nothing here
// is shared with another endpoint: a dead receiver only holds up its own.
//
// Construction only reads the options (`--check` constructs and never
// starts); start() loads the TLS files and what the previous run left and
// starts the disk_writer thread; everything else happens on the core thread.
#pragma once

#include "disk_writer.hpp"
#include "http_client.hpp"
#include "store.hpp"
#include "webhook_options.hpp"
#include "webhook_queue.hpp"

#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/metrics.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

inline constexpr std::string_view plugin_id = "endpoint-webhook";

// Spool writes not synced for this long (a stalled disk) make deliver()
// refuse with spool_busy: the power-loss promise is about a second.
inline constexpr auto max_sync_lag = std::chrono::seconds(5);

// Jobs (dead-letter files, spool snapshots) waiting for the disk_writer
// before the loop stops handing more over.
inline constexpr std::size_t writer_jobs = 256;

enum class retry_status { queued, not_found, pending, failed };

// Owned by the core; keeps a reference to its context, which outlives it.
class webhook_endpoint final : public araldo::endpoint {
public:
    webhook_endpoint(araldo::endpoint_context& ctx, webhook_settings settings);

    void start() override;
    asio::awaitable<void> run() override;
    delivery_result deliver(const message_ptr& msg) override;
    void stop() override;
    std::vector<std::string> health() const override;

    // The admin API (core thread, between two awaits of the workers).
    const std::string& name() const { return ctx_.name(); }
    const std::string& data_dir() const { return ctx_.global().data_dir; }
    retry_status retry_dead_letter(const std::string& id);
    std::size_t retry_all_dead_letters();
    void enable();
    bool disabled() const { return disabled_; }

private:
    using clock = delivery_queue::clock;

    void resume_saved();
    void quarantined(std::size_t n, std::string_view where);
    asio::awaitable<void> worker(std::size_t slot);
    asio::awaitable<void> attempt(std::size_t slot, delivery_queue::ptr d);
    void settle(const delivery_queue::ptr& d, const attempt_result& r);
    void retry_later(const delivery_queue::ptr& d, const attempt_result& r);
    void dead_letter(const delivery_queue::ptr& d);
    void store_dead_letter(const delivery_queue::ptr& d);
    void dead_letter_written(const delivery_queue::ptr& d, const araldo::result<>& written);
    void drain_dead_backlog();
    void begin_compaction();
    void compaction_written(const araldo::result<>& written);
    std::vector<const delivery*> to_save() const;
    void disable(const delivery_queue::ptr& d);
    void finished(const std::string& id);
    bool accept(delivery_queue::ptr d);
    void wake_one();
    void wake_all();
    std::string body_for(const delivery& d) const;
    string_pairs headers_for(const delivery& d, const std::string& body) const;
    void count_attempt(const attempt_result& r);
    delivery_result refuse(std::string_view reason, const message& msg, std::uint64_t& seen);

    araldo::endpoint_context& ctx_;
    webhook_settings settings_;
    http_client client_;
    delivery_queue queue_;
    pending_store pending_;
    dead_letter_store dead_;
    disk_writer writer_;
    // Dead letters the writer had no room for: still pending (counted in
    // queue-size, saved on stop), handed over as its jobs complete.
    std::deque<delivery_queue::ptr> dead_backlog_;

    std::vector<asio::steady_timer> timers_;  // one per worker; never resized after construction
    std::vector<char> sleeping_;              // worker i waits on timers_[i]
    asio::steady_timer done_;                 // run() waits here for the workers
    std::size_t live_workers_ = 0;
    bool started_ = false;
    bool stopping_ = false;
    bool disabled_ = false;
    std::string disabled_since_;
    std::deque<clock::time_point> recent_dead_;  // for health: dead letters of the last hour
    std::mt19937 rng_{std::random_device{}()};
    // Occurrences of each repeated warning, for araldo::worth_logging.
    std::uint64_t queue_full_seen_ = 0, spool_busy_seen_ = 0, spool_error_seen_ = 0, stopped_seen_ = 0;
    std::uint64_t marshal_error_seen_ = 0, writer_busy_seen_ = 0, sync_error_seen_ = 0, quarantine_seen_ = 0;

    std::map<std::string, araldo::counter*, std::less<>> attempts_by_outcome_;
    araldo::counter& retries_;
    araldo::counter& dead_letters_;
    araldo::counter& delivered_;
    araldo::counter& latency_ms_;
    araldo::counter& responses_;
    araldo::counter& quarantined_;
    araldo::counter& writer_busy_;
};

std::unique_ptr<araldo::endpoint> make_webhook_endpoint(araldo::endpoint_context& ctx);

}  // namespace araldo::plugins::endpoint_webhook
