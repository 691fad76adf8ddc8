// What the store writes it reads back byte for byte, whatever deliver()
// accepted; what it cannot read goes to quarantine/, counted, never deleted.
#include "delivery.hpp"
#include "store.hpp"

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

using namespace araldo::plugins::endpoint_webhook;

namespace {

delivery with_payload(std::string payload, bool binary = false) {
    delivery d;
    d.id = "01JDB4M2Q8X9T5N3V7K1R6W0ZP";
    d.endpoint = "hook";
    d.source = "emit";
    d.payload = std::move(payload);
    d.binary = binary;
    d.attributes = {{"type", "t"}, {"http.path", "/emit"}};
    return d;
}

void check_round_trip(const delivery& d) {
    std::string text = to_json(d);
    CHECK(text.find('\n') == std::string::npos);  // one record, one line
    auto back = delivery_from_json(text);
    REQUIRE(back);
    CHECK(back->payload == d.payload);
    CHECK(back->binary == d.binary);
    CHECK(back->attributes == d.attributes);
    CHECK(back->id == d.id);
    CHECK(back->source == d.source);
}

}  // namespace

TEST_CASE("payloads the old check took for UTF-8 read back byte for byte", "[webhook][unit][store]") {
    // Each of these passed the private check delivery.cpp had, was stored as
    // a JSON string, and was then refused by the parser reading it back.
    const std::vector<std::string> payloads = {
        std::string("\xC0\x80", 2),      // overlong NUL
        "\xED\xA0\x80",                  // an encoded surrogate
        "\xF4\x90\x80\x80",              // above U+10FFFF
        "\xE0\x80\xAF",                  // overlong '/'
        "{\"s\":\"\\ud800\"}",           // JSON text with an escaped lone surrogate (valid UTF-8)
        std::string("a\0b\0", 4),        // NUL bytes
        "\xFF\xFE",                      // not UTF-8 at all
        "caf\xC3\xA9 \xF0\x9F\x98\x80",  // valid UTF-8
        "",
    };
    for (const auto& p : payloads) {
        INFO("payload bytes: " << p.size());
        check_round_trip(with_payload(p));
        check_round_trip(with_payload(p, true));
    }
}

TEST_CASE("1 MiB and random bytes, in payloads and attributes, read back exactly", "[webhook][unit][store]") {
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> byte(0, 255);
    std::string big(1024 * 1024, '\0');
    for (auto& c : big) c = static_cast<char>(byte(rng));
    check_round_trip(with_payload(big));
    check_round_trip(with_payload(std::string(1024 * 1024, 'x')));
    for (int i = 0; i < 200; ++i) {
        std::string p(static_cast<std::size_t>(i), '\0'), a(static_cast<std::size_t>(i % 7), '\0');
        for (auto& c : p) c = static_cast<char>(byte(rng));
        for (auto& c : a) c = static_cast<char>(byte(rng));
        delivery d = with_payload(p);
        d.attributes[0].second = a;  // "type": e.g. a percent-decoded /emit/<type> that is not UTF-8
        d.last_error = a;
        check_round_trip(d);
    }
}

TEST_CASE("a damaged record goes to quarantine/ and is counted; the rest resume", "[webhook][unit][store]") {
    araldo::test::temp_dir dir;
    {
        pending_store s(dir.path(), true);
        REQUIRE(s.load().deliveries.empty());
        s.added(with_payload("one"));
        delivery two = with_payload("two");
        two.id = "second";
        s.added(two);
    }
    const std::string corrupt = R"({"add":{"id":"x","payload_base64":"not base64!"}})";
    const std::string garbage = "\x01garbage{";
    {
        std::ofstream out(dir / "spool.jsonl", std::ios::app | std::ios::binary);
        out << corrupt << "\n" << garbage << "\n";
    }
    {
        std::ofstream out(dir / "queue.jsonl", std::ios::binary);
        out << "{\"id\": 12}\n";
    }
    pending_store s(dir.path(), true);
    auto loaded = s.load();
    CHECK(loaded.deliveries.size() == 2);
    CHECK(loaded.quarantined == 3);
    CHECK(araldo::test::read_file(dir / "quarantine/spool.jsonl") == corrupt + "\n" + garbage + "\n");
    CHECK(araldo::test::read_file(dir / "quarantine/queue.jsonl") == "{\"id\": 12}\n");
    // The originals are rewritten without them; the quarantine stays as it is.
    CHECK(araldo::test::read_file(dir / "spool.jsonl").find("garbage") == std::string::npos);
    pending_store again(dir.path(), true);
    CHECK(again.load().quarantined == 0);
    CHECK(araldo::test::read_file(dir / "quarantine/spool.jsonl") == corrupt + "\n" + garbage + "\n");
}

TEST_CASE("an unreadable dead letter is moved to quarantine/deadletters", "[webhook][unit][store]") {
    araldo::test::temp_dir data;
    auto ep = endpoint_dir(data.path(), "hook");
    dead_letter_store store(ep);
    store.write(with_payload("fine"));
    araldo::test::write_file(ep / "deadletters" / "broken.json", "{\"id\":");
    CHECK(store.quarantine_unreadable() == 1);
    CHECK(std::filesystem::exists(ep / "quarantine" / "deadletters" / "broken.json"));
    CHECK(list_dead_letters(data.path()).size() == 1);
}

TEST_CASE("a compaction runs beside appends and keeps both", "[webhook][unit][store]") {
    araldo::test::temp_dir dir;
    pending_store s(dir.path(), true);
    s.load();
    delivery a = with_payload("a"), b = with_payload("b"), c = with_payload("c");
    a.id = "a";
    b.id = "b";
    c.id = "c";
    s.added(a);
    s.added(b);
    auto snapshot = s.begin_compaction({&a, &b});
    REQUIRE(snapshot);
    CHECK_FALSE(s.begin_compaction({&a}));  // one at a time
    s.added(c);                             // arrives while the snapshot is written
    s.done("a", 2);
    pending_store::write_snapshot(s.next_path(), *snapshot);
    s.finish_compaction(true, 2);
    CHECK_FALSE(std::filesystem::exists(s.next_path()));
    pending_store reread(dir.path(), true);
    auto loaded = reread.load().deliveries;
    REQUIRE(loaded.size() == 2);
    CHECK(loaded[0].id == "b");
    CHECK(loaded[1].id == "c");
}
