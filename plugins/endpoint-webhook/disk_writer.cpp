#include "disk_writer.hpp"

#include <boost/asio/post.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

namespace {

// Files written with one shared journal commit; more would delay the next
// spool sync for little gain.
constexpr std::size_t max_file_batch = 128;

}  // namespace

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
        jobs_.push_back({std::move(work), {}, {}, std::move(done)});
    }
    wake_.notify_one();
    return true;
}

bool disk_writer::submit_file(fs::path path, std::string text, done_handler done) {
    {
        std::lock_guard lock(mutex_);
        if (jobs_.size() >= max_jobs_) return false;
        jobs_.push_back({{}, std::move(path), std::move(text), std::move(done)});
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
    auto started = clock::now();
    std::string error;
    try {
        if (::fdatasync(file->fd()) != 0) throw_errno("syncing the spool");
        if (renamed) sync_dir(dir);
    } catch (const std::exception& e) {
        error = e.what();
    }
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started);
    if (on_synced) {
        auto outcome = error.empty() ? araldo::result<>::ok() : araldo::result<>::fail(std::move(error));
        asio::post(loop_, [f = on_synced, took, outcome = std::move(outcome)] { f(took, outcome); });
    }
}

bool disk_writer::sync_due() const {
    return dirty_file_ && (stopping_ || clock::now() >= dirty_since_ + sync_interval);
}

// Called between jobs too: a long batch of dead letters must not hold the
// spool's sync back past its second.
void disk_writer::sync_spool_if_due() {
    std::unique_lock lock(mutex_);
    if (!sync_due()) return;
    auto file = std::move(dirty_file_);
    dirty_file_.reset();
    fs::path dir = dirty_dir_;
    bool renamed = std::exchange(dir_renamed_, false);
    sync_started_ = clock::now();
    syncing_ = true;
    lock.unlock();
    sync(std::move(file), dir, renamed);
    lock.lock();
    syncing_ = false;
}

void disk_writer::finish(queued_job& j, std::string error) {
    if (!j.done) return;
    auto outcome = error.empty() ? araldo::result<>::ok() : araldo::result<>::fail(std::move(error));
    asio::post(loop_, [done = std::move(j.done), outcome = std::move(outcome)] { done(outcome); });
}

// Temp files first, their writeback started together (one running journal
// transaction takes all their block allocations), so the first fdatasync
// commits for all and the others find little left; then the renames and
// one sync per folder.
void disk_writer::run_files(std::vector<queued_job>& files) {
    struct staged {
        queued_job* job;
        fs::path tmp;
        std::unique_ptr<file_handle> fd;
        std::string error;
    };
    std::vector<staged> all;
    for (auto& j : files) {
        staged st{&j, j.path, nullptr, {}};
        st.tmp += ".tmp";
        try {
            fs::create_directories(j.path.parent_path());
            int fd = ::open(st.tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0) throw_errno("creating " + st.tmp.string());
            st.fd = std::make_unique<file_handle>(fd);
            write_all(fd, j.text, st.tmp);
            ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        } catch (const std::exception& e) {
            st.error = e.what();
        }
        all.push_back(std::move(st));
    }
    std::vector<fs::path> dirs;
    for (auto& st : all) {
        sync_spool_if_due();
        if (!st.error.empty()) continue;
        try {
            if (::fdatasync(st.fd->fd()) != 0) throw_errno("syncing " + st.tmp.string());
            st.fd.reset();
            fs::rename(st.tmp, st.job->path);
            if (std::find(dirs.begin(), dirs.end(), st.job->path.parent_path()) == dirs.end())
                dirs.push_back(st.job->path.parent_path());
        } catch (const std::exception& e) {
            st.error = e.what();
        }
    }
    std::string dir_error;
    for (const auto& d : dirs) {
        try {
            sync_dir(d);
        } catch (const std::exception& e) {
            dir_error = e.what();
        }
    }
    for (auto& st : all) finish(*st.job, st.error.empty() ? dir_error : st.error);
}

void disk_writer::loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        // The deadline is re-read after every wake-up: a write that makes
        // the spool dirty while this thread sleeps without one must start
        // the one-second clock (no deadline without dirty bytes: a
        // time_point::max() deadline overflows in the conversion).
        while (!stopping_ && jobs_.empty() && !sync_due()) {
            if (dirty_file_) {
                wake_.wait_until(lock, dirty_since_ + sync_interval);
            } else {
                wake_.wait(lock);
            }
        }
        // The spool's sync comes before any job: it is what the power-loss
        // promise (and deliver()'s spool_busy check) waits for.
        if (sync_due()) {
            lock.unlock();
            sync_spool_if_due();
            lock.lock();
            continue;
        }
        if (!jobs_.empty()) {
            // One function job, or every file job queued in a row (they share syncs).
            std::vector<queued_job> batch;
            do {
                batch.push_back(std::move(jobs_.front()));
                jobs_.pop_front();
            } while (!batch.front().work && !jobs_.empty() && !jobs_.front().work && batch.size() < max_file_batch);
            lock.unlock();
            if (batch.front().work) {
                std::string error;
                try {
                    batch.front().work();
                } catch (const std::exception& e) {
                    error = e.what();
                    if (error.empty()) error = "unknown error";
                }
                finish(batch.front(), std::move(error));
            } else {
                run_files(batch);
            }
            lock.lock();
            continue;
        }
        if (stopping_) return;
    }
}

}  // namespace araldo::plugins::endpoint_webhook
