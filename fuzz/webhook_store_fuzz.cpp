// endpoint-webhook's record reader (store.cpp and delivery.cpp): what a
// restart reads back from queue.jsonl and spool.jsonl, and a dead letter's
// JSON. The files may be torn by a crash, edited by hand or written by another
// version, so they are outside bytes too.
//
// Input: queue.jsonl, a NUL byte, spool.jsonl. The files are written to a
// directory in /dev/shm (tmpfs: no disk I/O per run) and loaded the way the
// endpoint does at start-up; each part is also read as a dead letter.
//
// Properties: what the reader accepts, the writer writes back identically
// (to_json then delivery_from_json is the identity), or a restart would lose
// or change a delivery; load() leaves the spool holding exactly what it
// returned, so a second restart loads the same and quarantines nothing.
#include "fuzz_check.hpp"
#include "store.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace wh = araldo::plugins::endpoint_webhook;

namespace {

bool same(const wh::delivery& a, const wh::delivery& b) {
    if (a.history.size() != b.history.size()) return false;
    for (std::size_t i = 0; i < a.history.size(); ++i) {
        const auto &x = a.history[i], &y = b.history[i];
        if (x.at_ms != y.at_ms || x.status != y.status || x.error != y.error) return false;
    }
    return a.id == b.id && a.endpoint == b.endpoint && a.source == b.source && a.time_ms == b.time_ms &&
           a.payload == b.payload && a.binary == b.binary && a.attributes == b.attributes && a.attempts == b.attempts &&
           a.last_error == b.last_error && a.next_at_ms == b.next_at_ms && a.dead_at_ms == b.dead_at_ms;
}

void check_round_trip(const wh::delivery& d) {
    const auto again = wh::delivery_from_json(wh::to_json(d));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(same(d, *again));
}

void write_file(const wh::fs::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

const wh::fs::path& scratch_dir() {
    static const wh::fs::path dir = [] {
        const wh::fs::path base = wh::fs::exists("/dev/shm") ? "/dev/shm" : wh::fs::temp_directory_path();
        return base / ("araldo-webhook-fuzz-" + std::to_string(::getpid()));
    }();
    return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in{reinterpret_cast<const char*>(data), size};
    const auto nul = in.find('\0');
    const std::string_view queue = in.substr(0, nul);
    const std::string_view spool = nul == std::string_view::npos ? std::string_view{} : in.substr(nul + 1);

    // A dead letter file holds one record; the reader must not care which line.
    for (std::string_view text : {queue, spool})
        if (const auto d = wh::delivery_from_json(text)) check_round_trip(*d);

    const auto& dir = scratch_dir();
    wh::fs::create_directories(dir);
    write_file(dir / "queue.jsonl", queue);
    if (nul != std::string_view::npos) write_file(dir / "spool.jsonl", spool);
    std::vector<wh::delivery> first;
    {
        wh::pending_store store{dir, /*spool=*/true};
        first = store.load().deliveries;
        for (const auto& d : first) {
            FUZZ_CHECK(!d.id.empty());
            check_round_trip(d);
        }
    }
    // load() rewrote the spool to exactly what it returned: a second restart
    // must find the same deliveries.
    {
        wh::pending_store store{dir, true};
        const auto again = store.load();
        FUZZ_CHECK(again.quarantined == 0);
        const auto& second = again.deliveries;
        FUZZ_CHECK(second.size() == first.size());
        for (std::size_t i = 0; i < first.size(); ++i) FUZZ_CHECK(same(first[i], second[i]));
    }
    std::error_code ec;
    wh::fs::remove_all(dir, ec);
    return 0;
}
