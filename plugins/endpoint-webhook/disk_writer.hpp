// The thread that keeps slow disk work off the event loop: fdatasync of the
// spool, dead-letter files, spool compaction.
//
// The loop hands work over through a bounded queue and never waits for it:
// submit() says "full" instead of blocking, and each job's completion is
// posted back to the loop (asio::post), where the caller's handler runs.
// The spool's write(2) stays on the loop, before deliver() answers: that is
// what makes an accepted delivery survive kill -9. Only the fdatasync that
// makes it survive a power loss moves here, at most sync_interval later.
//
// Shared state (the job queue, the file to sync, the sync times) is guarded
// by one mutex that is never held during I/O.
#pragma once

#include "file_io.hpp"

#include <araldo/result.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace araldo::plugins::endpoint_webhook {

namespace asio = boost::asio;

class disk_writer {
public:
    using clock = std::chrono::steady_clock;
    using job = std::function<void()>;                           // runs on the writer thread; may throw
    using done_handler = std::function<void(araldo::result<>)>;  // runs on the loop; fails with the job's error

    static constexpr auto sync_interval = std::chrono::seconds(1);

    disk_writer(asio::any_io_executor loop, std::size_t max_jobs);
    ~disk_writer();
    disk_writer(const disk_writer&) = delete;
    disk_writer& operator=(const disk_writer&) = delete;

    void start();
    // Runs every job already queued, syncs what was written, ends the thread.
    // Completions of the last jobs are still posted to the loop.
    void stop();

    // False, with nothing queued, when max_jobs are already waiting.
    bool submit(job work, done_handler done);
    // A whole file written atomically (temp, rename) and durably. Files
    // queued together share their syncs: all are written, flushed, synced
    // once (one journal commit) and renamed, then each folder synced once.
    bool submit_file(fs::path path, std::string text, done_handler done);
    std::size_t queued() const;

    // The loop wrote to `file` (in `dir`; `renamed`: a file in dir was
    // renamed): synced within sync_interval.
    void written(std::shared_ptr<file_handle> file, const fs::path& dir, bool renamed = false);
    // True when bytes written more than `limit` ago are still not synced
    // (the disk is stalled): the power-loss promise no longer holds.
    bool sync_lagging(clock::duration limit) const;
    // Called on the loop (posted) after each spool sync with its duration
    // and whether it worked; set before start().
    std::function<void(std::chrono::milliseconds, araldo::result<>)> on_synced;

private:
    struct queued_job {
        job work;  // empty: a file job
        fs::path path;
        std::string text;
        done_handler done;
    };
    void loop();
    void sync(std::shared_ptr<file_handle> file, const fs::path& dir, bool renamed);
    void run_files(std::vector<queued_job>& files);
    bool sync_due() const;  // with mutex_ held
    void sync_spool_if_due();
    void finish(queued_job& j, std::string error);

    asio::any_io_executor loop_;
    const std::size_t max_jobs_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<queued_job> jobs_;
    std::shared_ptr<file_handle> dirty_file_;  // null: nothing to sync
    fs::path dirty_dir_;
    bool dir_renamed_ = false;
    clock::time_point dirty_since_{};
    bool syncing_ = false;  // an fdatasync is running (it may hang on a stalled disk)
    clock::time_point sync_started_{};
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace araldo::plugins::endpoint_webhook
