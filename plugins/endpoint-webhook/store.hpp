// A webhook endpoint's files under <data-dir>/webhook/<endpoint>/:
//
//   deadletters/<id>.json   one dead letter each (delivery JSON + dead_at)
//   queue.jsonl             pending deliveries saved by a graceful stop
//   spool.jsonl             with spool: true, the write-ahead log:
//                           {"add": <delivery>} and {"done": "<id>"} lines
//
// Plain blocking file I/O: small writes, on the core thread, measured in
// microseconds except for the fdatasync the spool does at most once a second.
#pragma once

#include "delivery.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

namespace fs = std::filesystem;

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
    // Throws std::system_error when the file cannot be written.
    void write(const delivery& d);
    std::optional<delivery> read(const std::string& id) const;
    bool remove(const std::string& id);

private:
    fs::path dir_;
};

// Saves and loads what is pending across a restart.
class pending_store {
public:
    pending_store(fs::path endpoint_dir, bool spool);
    ~pending_store();
    pending_store(const pending_store&) = delete;
    pending_store& operator=(const pending_store&) = delete;

    // Everything left by the previous run (saved queue first, then the spool's
    // unfinished adds), then the spool rewritten to exactly that set.
    std::vector<delivery> load();
    // Graceful stop: writes queue.jsonl, then empties the spool.
    void save(const std::vector<const delivery*>& pending);

    // Spool records; no-ops without spool. Throw std::system_error on a write error.
    void added(const delivery& d);
    // True when the spool holds mostly finished records: call compact().
    bool done(const std::string& id, std::size_t still_pending);
    void compact(const std::vector<const delivery*>& live);

private:
    void append(const std::string& line);
    void open_spool();

    fs::path dir_;
    bool spool_;
    int fd_ = -1;
    std::size_t records_ = 0;  // lines in the spool file, for compaction
    std::chrono::steady_clock::time_point last_sync_{};
};

}  // namespace araldo::plugins::endpoint_webhook
