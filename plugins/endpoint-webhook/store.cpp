#include "store.hpp"

#include "disk_writer.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <system_error>
#include <unordered_map>

namespace araldo::plugins::endpoint_webhook {

namespace json = boost::json;

namespace {

constexpr std::size_t compact_slack = 10000;

fs::path data_root(const std::string& data_dir) { return fs::path(data_dir.empty() ? "./data" : data_dir) / "webhook"; }

std::string add_line(const delivery& d) { return "{\"add\":" + to_json(d) + "}\n"; }

}  // namespace

fs::path endpoint_dir(const std::string& data_dir, const std::string& endpoint) {
    return data_root(data_dir) / endpoint;
}

std::vector<dead_letter_file> list_dead_letters(const std::string& data_dir, const std::string& endpoint) {
    std::vector<dead_letter_file> out;
    std::error_code ec;
    for (const auto& ep : fs::directory_iterator(data_root(data_dir), ec)) {
        if (!endpoint.empty() && ep.path().filename() != endpoint) continue;
        for (const auto& f : fs::directory_iterator(ep.path() / "deadletters", ec)) {
            if (f.path().extension() != ".json") continue;
            // An unreadable file stays where it is (the endpoint's start moves
            // it to quarantine/); a listing cannot repair it.
            if (auto d = delivery_from_json(read_text(f.path()))) {
                if (d->endpoint.empty()) d->endpoint = ep.path().filename().string();
                out.push_back({f.path(), std::move(*d)});
            }
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.d.dead_at_ms < b.d.dead_at_ms; });
    return out;
}

dead_letter_store::dead_letter_store(fs::path endpoint_dir)
    : endpoint_dir_(std::move(endpoint_dir)), dir_(endpoint_dir_ / "deadletters") {}

fs::path dead_letter_store::path_for(const std::string& id) const { return dir_ / (file_name_for(id) + ".json"); }

void dead_letter_store::write(const delivery& d) { write_file_atomic(path_for(d.id), to_json(d) + "\n"); }

std::optional<delivery> dead_letter_store::read(const std::string& id) const {
    fs::path p = path_for(id);
    std::error_code ec;
    if (!fs::exists(p, ec)) return std::nullopt;
    return delivery_from_json(read_text(p));
}

bool dead_letter_store::remove(const std::string& id) {
    std::error_code ec;
    return fs::remove(path_for(id), ec);
}

std::size_t dead_letter_store::quarantine_unreadable() {
    std::size_t moved = 0;
    std::error_code ec;
    fs::path to = endpoint_dir_ / "quarantine" / "deadletters";
    for (const auto& f : fs::directory_iterator(dir_, ec)) {
        if (f.path().extension() != ".json" || delivery_from_json(read_text(f.path()))) continue;
        fs::create_directories(to);
        fs::rename(f.path(), to / f.path().filename());
        ++moved;
    }
    if (moved) sync_dir(to);
    return moved;
}

pending_store::pending_store(fs::path endpoint_dir, bool spool) : dir_(std::move(endpoint_dir)), spool_(spool) {}

// Adds in order, minus the ids a later "done" finished. Lines that are
// neither are collected in `bad`.
std::vector<delivery> pending_store::replay_spool(const std::string& text, std::vector<std::string_view>& bad) {
    std::vector<delivery> adds;
    std::unordered_map<std::string, std::size_t> finished;  // id -> "done" records after the last add
    for (std::string_view line : split_lines(text).lines) {
        boost::system::error_code ec;
        json::value v = json::parse(line, ec);
        const json::object* o = ec ? nullptr : v.if_object();
        if (o) {
            if (auto it = o->find("done"); it != o->end() && it->value().is_string()) {
                ++finished[std::string(it->value().get_string())];
                continue;
            }
            if (auto a = o->find("add"); a != o->end()) {
                if (auto d = delivery_from_json(a->value())) {
                    finished[d->id] = 0;
                    adds.push_back(std::move(*d));
                    continue;
                }
            }
        }
        bad.push_back(line);
    }
    std::vector<delivery> out;
    for (auto& d : adds)
        if (finished[d.id] == 0) out.push_back(std::move(d));
    return out;
}

pending_store::loaded pending_store::load() {
    loaded out;
    std::set<std::string> seen;
    std::error_code ec;
    fs::create_directories(dir_);  // an unwritable data-dir stops start-up, not the first dead letter
    fs::path queue = dir_ / "queue.jsonl", spool = dir_ / "spool.jsonl";
    std::string queue_text = read_text(queue), spool_text = read_text(spool);
    std::vector<std::string_view> bad_queue, bad_spool;
    auto queue_lines = split_lines(queue_text);
    for (std::string_view line : queue_lines.lines) {
        auto d = delivery_from_json(line);
        if (!d) {
            bad_queue.push_back(line);
        } else if (seen.insert(d->id).second) {
            out.deliveries.push_back(std::move(*d));
        }
    }
    // queue.jsonl is written atomically: a torn line there is damage, not a crash.
    if (!queue_lines.torn.empty()) bad_queue.push_back(queue_lines.torn);
    for (auto& d : replay_spool(spool_text, bad_spool))
        if (seen.insert(d.id).second) out.deliveries.push_back(std::move(d));
    // A torn last spool line is a write(2) cut short by a crash: the delivery
    // it held was never accepted. Kept all the same, for the operator to judge.
    auto spool_torn = split_lines(spool_text).torn;
    if (!spool_torn.empty()) bad_spool.push_back(spool_torn);
    quarantine(dir_, "queue.jsonl", bad_queue);
    quarantine(dir_, "spool.jsonl", bad_spool);
    out.quarantined = bad_queue.size() + bad_spool.size();
    fs::remove(next_path(), ec);  // a compaction cut short: spool.jsonl is still whole
    if (spool_) {
        snapshot records;
        for (auto& d : out.deliveries) {
            d.spool_record = std::make_shared<const std::string>(add_line(d));
            records.push_back(d.spool_record);
        }
        rewrite(records);
    } else {
        fs::remove(spool, ec);
    }
    fs::remove(queue, ec);  // after the spool holds the same set: a crash now loses nothing
    return out;
}

void pending_store::save(const std::vector<const delivery*>& pending) {
    fs::path queue = dir_ / "queue.jsonl";
    std::error_code ec;
    if (pending.empty()) {
        fs::remove(queue, ec);
    } else {
        std::string text;
        for (const delivery* d : pending) text += to_json(*d) + "\n";
        write_file_atomic(queue, text);
    }
    if (spool_) {
        file_.reset();
        compacting_ = false;
        since_snapshot_.clear();
        fs::remove(dir_ / "spool.jsonl", ec);  // queue.jsonl holds the same deliveries now
        fs::remove(next_path(), ec);
    }
}

void pending_store::open_spool() {
    fs::create_directories(dir_);
    fs::path path = dir_ / "spool.jsonl";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw_errno("opening " + path.string());
    file_ = std::make_shared<file_handle>(fd);
}

void pending_store::written() {
    if (writer_) {
        writer_->written(file_, dir_);
        return;
    }
    // write(2) alone survives a crash of the process; fdatasync bounds what
    // a power loss can take to about the last second.
    auto now = std::chrono::steady_clock::now();
    if (now - last_sync_ >= disk_writer::sync_interval) {
        ::fdatasync(file_->fd());
        last_sync_ = now;
    }
}

void pending_store::append(const std::string& line) {
    if (!file_) open_spool();
    write_all(file_->fd(), line, dir_ / "spool.jsonl");
    ++records_;
    if (compacting_) since_snapshot_.push_back(line);
    written();
}

std::shared_ptr<const std::string> pending_store::added(const delivery& d) {
    if (!spool_) return nullptr;
    auto line = std::make_shared<const std::string>(add_line(d));
    append(*line);
    return line;
}

bool pending_store::done(const std::string& id, std::size_t still_pending) {
    if (!spool_) return false;
    // Nothing pending: an empty spool says so as well as any record (not
    // while a snapshot is being written: it would bring the adds back).
    if (still_pending == 0 && !compacting_ && file_ && ::ftruncate(file_->fd(), 0) == 0) {
        records_ = 0;
        return false;
    }
    append("{\"done\":" + json::serialize(json::string(id)) + "}\n");
    return !compacting_ && records_ > 2 * still_pending + compact_slack;
}

void pending_store::compact(const std::vector<const delivery*>& live) {
    if (!spool_) return;
    snapshot records;
    for (const delivery* d : live) records.push_back(std::make_shared<const std::string>(add_line(*d)));
    rewrite(records);
}

void pending_store::rewrite(const snapshot& records) {
    std::string text;
    for (const auto& r : records) text += *r;
    file_.reset();
    write_file_atomic(dir_ / "spool.jsonl", text);
    records_ = records.size();
    open_spool();
}

std::optional<pending_store::snapshot> pending_store::begin_compaction(const std::vector<const delivery*>& live) {
    if (!spool_ || compacting_) return std::nullopt;
    snapshot records;
    records.reserve(live.size());
    for (const delivery* d : live)
        records.push_back(d->spool_record ? d->spool_record : std::make_shared<const std::string>(add_line(*d)));
    compacting_ = true;
    live_at_snapshot_ = live.size();
    since_snapshot_.clear();
    return records;
}

void pending_store::write_snapshot(const fs::path& path, const snapshot& records) {
    std::string text;
    for (const auto& r : records) text += *r;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw_errno("creating " + path.string());
    file_handle guard(fd);
    write_all(fd, text, path);
    if (::fdatasync(fd) != 0) throw_errno("syncing " + path.string());
}

void pending_store::finish_compaction(bool snapshot_written, std::size_t still_pending) {
    if (!compacting_) return;  // saved meanwhile (a graceful stop)
    compacting_ = false;
    std::vector<std::string> since;
    since.swap(since_snapshot_);
    if (!snapshot_written) {  // the spool is whole as it is; try again later
        if (still_pending == 0 && file_ && ::ftruncate(file_->fd(), 0) == 0) records_ = 0;
        return;
    }
    fs::path next = next_path();
    int fd = ::open(next.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) throw_errno("opening " + next.string());
    auto file = std::make_shared<file_handle>(fd);
    std::string tail;
    for (const auto& line : since) tail += line;
    write_all(fd, tail, next);
    // The snapshot is synced; its tail is no older than the spool's own
    // unsynced bytes and gets synced with the folder by the writer.
    fs::rename(next, dir_ / "spool.jsonl");
    file_ = std::move(file);
    records_ = live_at_snapshot_ + since.size();
    if (still_pending == 0 && ::ftruncate(file_->fd(), 0) == 0) records_ = 0;
    if (writer_) writer_->written(file_, dir_, true);
}

}  // namespace araldo::plugins::endpoint_webhook
