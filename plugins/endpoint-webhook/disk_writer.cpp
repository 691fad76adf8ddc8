#include "disk_writer.hpp"

#include <boost/asio/post.hpp>

#include <unistd.h>

#include <exception>

namespace araldo::plugins::endpoint_webhook {

disk_writer::disk_writer(asio::any_io_executor loop, std::size_t max_jobs)
    : loop_(std::move(loop)), max_jobs_(max_jobs) {}

disk_writer::~disk_writer() { stop(); }

void disk_writer::start() {
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
}

void disk_writer::stop() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

bool disk_writer::submit(job work, done_handler done) {
    {
        std::lock_guard lock(mutex_);
        if (jobs_.size() >= max_jobs_) return false;
        jobs_.push_back({std::move(work), std::move(done)});
    }
    wake_.notify_one();
    return true;
}

std::size_t disk_writer::queued() const {
    std::lock_guard lock(mutex_);
    return jobs_.size();
}

void disk_writer::written(std::shared_ptr<file_handle> file, const fs::path& dir, bool renamed) {
    bool first = false;
    {
        std::lock_guard lock(mutex_);
        // A file replaced by compaction was synced before the rename: only
        // the newest one can hold unsynced bytes the loop still cares about.
        if (!dirty_file_) {
            dirty_since_ = clock::now();
            first = true;
        }
        dirty_file_ = std::move(file);
        dirty_dir_ = dir;
        dir_renamed_ = dir_renamed_ || renamed;
    }
    if (first) wake_.notify_one();
}

bool disk_writer::sync_lagging(clock::duration limit) const {
    std::lock_guard lock(mutex_);
    auto now = clock::now();
    return (dirty_file_ && now - dirty_since_ > limit) || (syncing_ && now - sync_started_ > limit);
}

void disk_writer::sync(std::shared_ptr<file_handle> file, const fs::path& dir, bool renamed) {
    std::string error;
    try {
        if (::fdatasync(file->fd()) != 0) throw_errno("syncing the spool");
        if (renamed) sync_dir(dir);
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty() && on_sync_error) {
        asio::post(loop_, [f = on_sync_error, error] { f(error); });
    }
}

void disk_writer::loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        auto ready = [&] { return stopping_ || !jobs_.empty() || (dirty_file_ && clock::now() >= dirty_since_ + sync_interval); };
        // No deadline without dirty bytes: a time_point::max() deadline overflows in the conversion.
        if (dirty_file_) {
            wake_.wait_until(lock, dirty_since_ + sync_interval, ready);
        } else {
            wake_.wait(lock, ready);
        }
        std::deque<queued_job> batch;
        batch.swap(jobs_);
        std::shared_ptr<file_handle> to_sync;
        bool renamed = false;
        fs::path dir;
        if (dirty_file_ && (stopping_ || clock::now() >= dirty_since_ + sync_interval)) {
            to_sync = std::move(dirty_file_);
            dirty_file_.reset();
            dir = dirty_dir_;
            renamed = dir_renamed_;
            dir_renamed_ = false;
            sync_started_ = clock::now();
            syncing_ = true;
        }
        bool last = stopping_ && batch.empty();
        lock.unlock();
        for (auto& j : batch) {
            std::string error;
            try {
                j.work();
            } catch (const std::exception& e) {
                error = e.what();
                if (error.empty()) error = "unknown error";
            }
            if (j.done) asio::post(loop_, [done = std::move(j.done), error = std::move(error)] { done(error); });
        }
        if (to_sync) sync(std::move(to_sync), dir, renamed);
        lock.lock();
        syncing_ = false;
        if (last && !dirty_file_ && jobs_.empty()) return;
    }
}

}  // namespace araldo::plugins::endpoint_webhook
