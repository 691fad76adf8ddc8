#include "store.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <unordered_map>

namespace araldo::plugins::endpoint_webhook {

namespace json = boost::json;

namespace {

constexpr auto sync_interval = std::chrono::seconds(1);
constexpr std::size_t compact_slack = 10000;

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

void write_all(int fd, std::string_view data, const fs::path& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("writing " + path.string());
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

// Written whole or not at all: a temp file, fsync, then rename over the target.
void write_file_atomic(const fs::path& path, std::string_view text) {
    fs::create_directories(path.parent_path());
    fs::path tmp = path;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw_errno("creating " + tmp.string());
    try {
        write_all(fd, text, tmp);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::fdatasync(fd);
    ::close(fd);
    fs::rename(tmp, path);
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

template <class F>
void for_each_line(const std::string& text, F f) {
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) break;  // a torn last line (crash mid-write) is ignored
        if (end > start) f(std::string_view(text).substr(start, end - start));
        start = end + 1;
    }
}

}  // namespace

fs::path endpoint_dir(const std::string& data_dir, const std::string& endpoint) {
    return fs::path(data_dir.empty() ? "./data" : data_dir) / "webhook" / endpoint;
}

std::vector<dead_letter_file> list_dead_letters(const std::string& data_dir, const std::string& endpoint) {
    std::vector<dead_letter_file> out;
    fs::path root = fs::path(data_dir.empty() ? "./data" : data_dir) / "webhook";
    std::error_code ec;
    for (const auto& ep : fs::directory_iterator(root, ec)) {
        if (!endpoint.empty() && ep.path().filename() != endpoint) continue;
        for (const auto& f : fs::directory_iterator(ep.path() / "deadletters", ec)) {
            if (f.path().extension() != ".json") continue;
            if (auto d = delivery_from_json(read_text(f.path()))) {
                if (d->endpoint.empty()) d->endpoint = ep.path().filename().string();
                out.push_back({f.path(), std::move(*d)});
            }
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.d.dead_at_ms < b.d.dead_at_ms; });
    return out;
}

dead_letter_store::dead_letter_store(fs::path endpoint_dir) : dir_(std::move(endpoint_dir) / "deadletters") {}

void dead_letter_store::write(const delivery& d) {
    write_file_atomic(dir_ / (file_name_for(d.id) + ".json"), to_json(d) + "\n");
}

std::optional<delivery> dead_letter_store::read(const std::string& id) const {
    fs::path p = dir_ / (file_name_for(id) + ".json");
    std::error_code ec;
    if (!fs::exists(p, ec)) return std::nullopt;
    return delivery_from_json(read_text(p));
}

bool dead_letter_store::remove(const std::string& id) {
    std::error_code ec;
    return fs::remove(dir_ / (file_name_for(id) + ".json"), ec);
}

pending_store::pending_store(fs::path endpoint_dir, bool spool) : dir_(std::move(endpoint_dir)), spool_(spool) {}

pending_store::~pending_store() {
    if (fd_ >= 0) ::close(fd_);
}

std::vector<delivery> pending_store::load() {
    std::vector<delivery> out;
    std::set<std::string> seen;
    std::error_code ec;
    fs::create_directories(dir_);  // an unwritable data-dir stops start-up, not the first dead letter
    fs::path queue = dir_ / "queue.jsonl", spool = dir_ / "spool.jsonl";
    if (fs::exists(queue, ec)) {
        for_each_line(read_text(queue), [&](std::string_view line) {
            if (auto d = delivery_from_json(line); d && seen.insert(d->id).second) out.push_back(std::move(*d));
        });
    }
    if (fs::exists(spool, ec)) {
        // Replay: adds in order, minus the ids a later "done" finished.
        std::vector<delivery> adds;
        std::unordered_map<std::string, std::size_t> finished;  // id -> "done" records after the last add
        for_each_line(read_text(spool), [&](std::string_view line) {
            json::value v = json::parse(line, ec);
            if (ec || !v.is_object()) return;
            auto& o = v.get_object();
            if (auto it = o.find("done"); it != o.end() && it->value().is_string()) {
                ++finished[std::string(it->value().get_string())];
            } else if (auto a = o.find("add"); a != o.end()) {
                if (auto d = delivery_from_json(json::serialize(a->value()))) {
                    finished[d->id] = 0;
                    adds.push_back(std::move(*d));
                }
            }
        });
        for (auto& d : adds)
            if (finished[d.id] == 0 && seen.insert(d.id).second) out.push_back(std::move(d));
    }
    if (spool_) {
        std::vector<const delivery*> live;
        for (const auto& d : out) live.push_back(&d);
        compact(live);
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
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        fs::remove(dir_ / "spool.jsonl", ec);  // queue.jsonl holds the same deliveries now
    }
}

void pending_store::open_spool() {
    fs::create_directories(dir_);
    fs::path path = dir_ / "spool.jsonl";
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_errno("opening " + path.string());
}

void pending_store::append(const std::string& line) {
    if (fd_ < 0) open_spool();
    write_all(fd_, line, dir_ / "spool.jsonl");
    ++records_;
    // write(2) alone survives a crash of the process; fdatasync bounds what
    // a power loss can take to about the last second.
    auto now = std::chrono::steady_clock::now();
    if (now - last_sync_ >= sync_interval) {
        ::fdatasync(fd_);
        last_sync_ = now;
    }
}

void pending_store::added(const delivery& d) {
    if (!spool_) return;
    append("{\"add\":" + to_json(d) + "}\n");
}

bool pending_store::done(const std::string& id, std::size_t still_pending) {
    if (!spool_) return false;
    if (still_pending == 0) {
        // Nothing pending: an empty spool says so as well as any record.
        if (fd_ >= 0 && ::ftruncate(fd_, 0) == 0) {
            records_ = 0;
            return false;
        }
    }
    append("{\"done\":" + json::serialize(json::string(id)) + "}\n");
    return records_ > 2 * still_pending + compact_slack;
}

void pending_store::compact(const std::vector<const delivery*>& live) {
    if (!spool_) return;
    std::string text;
    for (const delivery* d : live) text += "{\"add\":" + to_json(*d) + "}\n";
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    write_file_atomic(dir_ / "spool.jsonl", text);
    records_ = live.size();
    open_spool();
}

}  // namespace araldo::plugins::endpoint_webhook
