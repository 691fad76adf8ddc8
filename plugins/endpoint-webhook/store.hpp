// A webhook endpoint's files under <data-dir>/webhook/<endpoint>/:
//
//   deadletters/<id>.json   one dead letter each (delivery JSON + dead_at)
//   queue.jsonl             pending deliveries saved by a graceful stop
//   spool.jsonl             with spool: true, the write-ahead log:
//                           {"add": <delivery>} and {"done": "<id>"} lines
//   spool.jsonl.next        a compaction in progress (renamed over spool.jsonl)
//   quarantine/<file>       records that could not be read back, kept as they
//                           were (raw lines; whole dead-letter files)
//
// Nothing here touches the disk before load() (the endpoint's start()). The
// spool's write(2) runs on the core thread, before deliver() answers; its
// fdatasync, dead-letter files and compaction snapshots run on the
// disk_writer thread when one is attached.
#pragma once

#include "delivery.hpp"
#include "file_io.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

class disk_writer;

fs::path endpoint_dir(const std::string& data_dir, const std::string& endpoint);

// Dead letters of every endpoint under data_dir (for the command) or one.
struct dead_letter_file {
    fs::path path;
    delivery d;
};
std::vector<dead_letter_file> list_dead_letters(const std::string& data_dir, const std::string& endpoint = {});

class dead_letter_store {
public:
    explicit dead_letter_store(fs::path endpoint_dir);
    fs::path path_for(const std::string& id) const;
    // Throws std::system_error when the file cannot be written.
    void write(const delivery& d);
    std::optional<delivery> read(const std::string& id) const;
    bool remove(const std::string& id);
    // Moves dead-letter files that do not parse to quarantine/deadletters/;
    // returns how many. Throws when one cannot be moved.
    std::size_t quarantine_unreadable();

private:
    fs::path endpoint_dir_;
    fs::path dir_;
};

// Saves and loads what is pending across a restart.
class pending_store {
public:
    struct loaded {
        std::vector<delivery> deliveries;
        std::size_t quarantined = 0;  // records moved to quarantine/ instead
    };

    pending_store(fs::path endpoint_dir, bool spool);
    pending_store(const pending_store&) = delete;
    pending_store& operator=(const pending_store&) = delete;

    // From now on fdatasync runs on `w` (without one: inline, at most once a second).
    void use_writer(disk_writer* w) { writer_ = w; }

    // Everything left by the previous run (saved queue first, then the spool's
    // unfinished adds), then the spool rewritten to exactly that set. Records
    // that cannot be read are appended to quarantine/ first, never dropped.
    loaded load();
    // Graceful stop: writes queue.jsonl, then empties the spool.
    void save(const std::vector<const delivery*>& pending);

    // Spool records; no-ops without spool. Throw std::system_error on a write error.
    // Returns the line written (null without spool), for delivery::spool_record.
    std::shared_ptr<const std::string> added(const delivery& d);
    // True when the spool holds mostly finished records: compact it.
    bool done(const std::string& id, std::size_t still_pending);

    // Compaction in one go (start-up, tests) ...
    void compact(const std::vector<const delivery*>& live);
    // ... or in three steps, the slow one on the writer thread: the snapshot
    // to write (nullopt: no spool, or a compaction is already running), then
    // write_snapshot(next_path(), text) off the loop, then finish_compaction
    // on the loop, which appends what arrived meanwhile and renames.
    using snapshot = std::vector<std::shared_ptr<const std::string>>;
    std::optional<snapshot> begin_compaction(const std::vector<const delivery*>& live);
    fs::path next_path() const { return dir_ / "spool.jsonl.next"; }
    static void write_snapshot(const fs::path& path, const snapshot& records);
    // `still_pending` 0 empties the spool (a done() during the snapshot could not).
    void finish_compaction(bool snapshot_written, std::size_t still_pending);

private:
    void append(const std::string& line);
    void rewrite(const std::vector<std::shared_ptr<const std::string>>& records);
    void open_spool();
    void written();
    std::vector<delivery> replay_spool(const std::string& text, std::vector<std::string_view>& bad);

    fs::path dir_;
    bool spool_;
    disk_writer* writer_ = nullptr;
    std::shared_ptr<file_handle> file_;
    std::size_t records_ = 0;  // lines in the spool file, for compaction
    std::size_t live_at_snapshot_ = 0;
    bool compacting_ = false;
    std::vector<std::string> since_snapshot_;  // lines appended while a snapshot is written
    std::chrono::steady_clock::time_point last_sync_{};
};

}  // namespace araldo::plugins::endpoint_webhook
