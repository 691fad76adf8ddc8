// Reloading a keys file without a restart. Polling stat() is chosen over
// inotify: it sees an editor's write-and-rename (a new inode) and a file
// that is deleted and made again the same way, costs one system call per
// interval, and needs no watch on the folder.
#include <araldo/keys.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/stat.h>

#include <csignal>
#include <stdexcept>

namespace araldo {

namespace {

// What changes when the file does, however it was written.
struct file_stamp {
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    timespec mtime{};
    timespec ctime{};

    bool operator==(const file_stamp& o) const noexcept {
        return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
               mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
    }
};

file_stamp stamp_of(const std::filesystem::path& file) {
    struct stat st {};
    file_stamp s;
    if (::stat(file.c_str(), &st) != 0) return s;
    s.exists = true;
    s.dev = st.st_dev;
    s.ino = st.st_ino;
    s.size = st.st_size;
    s.mtime = st.st_mtim;
    s.ctime = st.st_ctim;
    return s;
}

}  // namespace

struct key_file_watch::impl : std::enable_shared_from_this<impl> {
    impl(boost::asio::any_io_executor ex, std::filesystem::path f, spdlog::logger& l, change_handler h, settings st)
        : timer(ex), executor(std::move(ex)), file(std::move(f)), log(l), on_change(std::move(h)), s(st) {}

    boost::asio::steady_timer timer;
    boost::asio::any_io_executor executor;
    std::unique_ptr<boost::asio::signal_set> signals;
    std::filesystem::path file;
    spdlog::logger& log;
    change_handler on_change;
    settings s;

    std::shared_ptr<const key_store> store;
    file_stamp stamp;
    std::uint64_t reloads = 0;
    std::uint64_t failures = 0;
    bool running = false;

    void poll() {
        timer.expires_after(s.poll_interval);
        timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || !self->running) return;
            if (stamp_of(self->file) != self->stamp) self->reload();
            self->poll();
        });
    }

    void wait_signal() {
        signals->async_wait([self = shared_from_this()](boost::system::error_code ec, int) {
            if (ec || !self->running) return;
            self->log.info("SIGHUP: re-reading the keys file {}", self->file.string());
            self->reload();
            self->wait_signal();
        });
    }

    bool reload() {
        // Stamped before reading: a write that lands during the read changes
        // the stamp again, and the next poll reads the file once more.
        stamp = stamp_of(file);
        auto loaded = key_store::load(file);
        if (!loaded) {
            ++failures;
            if (s.failures) s.failures->inc();
            log.error("keys file not reloaded, the {} keys loaded before stay in use: {} ({} failed reloads so far)",
                      store ? store->size() : 0, loaded.reason(), failures);
            return false;
        }
        store = std::move(loaded).value();
        ++reloads;
        log.info("keys file {} reloaded: {} keys, {} of them revoked", file.string(), store->size(),
                 store->size() - store->active_count());
        if (on_change) {
            // The handler is the plugin's: whatever it throws must not end the watch.
            try {
                on_change(store);
            } catch (const std::exception& e) {
                log.error("after reloading the keys file {}: {}", file.string(), e.what());
            }
        }
        return true;
    }

    void stop() {
        running = false;
        timer.cancel();
        if (signals) {
            boost::system::error_code ignored;
            signals->clear(ignored);
            signals->cancel(ignored);
        }
    }
};

key_file_watch::key_file_watch(boost::asio::any_io_executor executor, std::filesystem::path file, spdlog::logger& log,
                               change_handler on_change, settings s)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(file), log, std::move(on_change), s)) {}

key_file_watch::~key_file_watch() { impl_->stop(); }

void key_file_watch::start() {
    if (impl_->running) return;
    impl_->stamp = stamp_of(impl_->file);
    auto loaded = key_store::load(impl_->file);
    if (!loaded) throw std::runtime_error(loaded.reason());
    impl_->store = std::move(loaded).value();
    impl_->log.info("keys file {}: {} keys, {} of them revoked", impl_->file.string(), impl_->store->size(),
                    impl_->store->size() - impl_->store->active_count());
    impl_->running = true;
    impl_->poll();
    if (impl_->s.reload_on_sighup) {
        impl_->signals = std::make_unique<boost::asio::signal_set>(impl_->executor, SIGHUP);
        impl_->wait_signal();
    }
}

void key_file_watch::stop() { impl_->stop(); }

bool key_file_watch::reload() { return impl_->reload(); }

std::shared_ptr<const key_store> key_file_watch::current() const { return impl_->store; }
std::uint64_t key_file_watch::reloads() const noexcept { return impl_->reloads; }
std::uint64_t key_file_watch::failures() const noexcept { return impl_->failures; }
const std::filesystem::path& key_file_watch::file() const noexcept { return impl_->file; }

}  // namespace araldo
