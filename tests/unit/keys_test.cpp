// The SDK's keys (<araldo/keys.hpp>): identities and their rights, the keys
// file's format and its errors at line:col, lookups, and the watcher that
// reloads the file on the io_context (on a change, a rename over it, SIGHUP).
#include <araldo/keys.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

using namespace araldo;
using namespace std::chrono_literals;

namespace {

// Two keys a test presents, and their entries.
const std::string key_a = "ak_test-key-for-pi-7-000000";
const std::string key_b = "ak_test-key-for-alice-00000";

std::string two_keys(const std::string& extra_b = {}) {
    return "keys:\n"
           "  - key: " +
           key_a +
           "\n"
           "    identity: pi-7\n"
           "    folder: /acme/greenhouse/pi-7\n"
           "    read: [\"/acme/greenhouse/**\"]\n"
           "    created: 2026-12-01T10:00:00Z\n"
           "  - key-sha256: " +
           key_sha256(key_b) +
           "\n"
           "    identity: alice\n"
           "    read: /acme/**\n"
           "    write: [\"/acme/*/inbox\"]\n" +
           extra_b;
}

std::string parse_error(const std::string& text) {
    auto r = key_store::parse(text, "keys.yaml");
    return r ? "parsed" : r.reason();
}

key_identity identity(std::string folder, std::vector<std::string> read, std::vector<std::string> write) {
    auto id = key_identity::make("dev", std::move(folder), read, write);
    REQUIRE(id);
    return std::move(id).value();
}

}  // namespace

TEST_CASE("a key may write its own folder and below, and what its globs allow", "[keys]") {
    const auto dev = identity("/acme/greenhouse/pi-7", {"/acme/greenhouse/**"}, {"/acme/alarms"});
    CHECK(dev.may_write("/acme/greenhouse/pi-7"));
    CHECK(dev.may_write("/acme/greenhouse/pi-7/sub/x"));
    CHECK(dev.may_write("/acme/alarms"));
    CHECK_FALSE(dev.may_write("/acme/greenhouse/pi-70"));  // a sibling that shares the prefix
    CHECK_FALSE(dev.may_write("/acme/greenhouse"));
    CHECK_FALSE(dev.may_write("/acme/alarms/x"));
    CHECK(dev.may_read("/acme/greenhouse"));
    CHECK(dev.may_read("/acme/greenhouse/pi-8"));
    CHECK_FALSE(dev.may_read("/acme/shed"));

    const auto nothing = identity("", {}, {});
    CHECK_FALSE(nothing.may_write("/"));
    CHECK_FALSE(nothing.may_write("/acme"));
    CHECK_FALSE(nothing.may_read("/acme"));
    CHECK_FALSE(identity("/acme", {}, {}).may_read("/acme"));  // write rights only: reading needs `read`

    const auto root = identity("/", {}, {});
    CHECK(root.may_write("/"));
    CHECK(root.may_write("/anything/at/all"));
}

TEST_CASE("key_identity::make names what is wrong", "[keys]") {
    const auto reason = [](std::string name, std::string folder, std::vector<std::string> read,
                           std::vector<std::string> write) {
        auto r = key_identity::make(std::move(name), std::move(folder), read, write);
        return r ? "made" : r.reason();
    };
    CHECK(reason("pi-7", "/acme/pi-7", {"/acme/**"}, {"/x"}) == "made");
    CHECK(reason("", "", {}, {}) == "identity: cannot be empty");
    CHECK(reason("a\nb", "", {}, {}) == "identity: cannot hold control characters");
    CHECK(reason(std::string(max_identity_length + 1, 'x'), "", {}, {}) == "identity: is at most 256 bytes");
    CHECK(reason("pi", "acme", {}, {}) == "folder: a folder starts with '/'");
    CHECK(reason("pi", "", {"/ok", "/bad/"}, {}) == "read: \"/bad/\": a folder glob cannot end with '/'");
    CHECK(reason("pi", "", {}, {"/a**"}) == "write: \"/a**\": " + folder_glob::compile("/a**").reason());
}

TEST_CASE("a keys file: keys or their digests, identities, rights, times", "[keys]") {
    auto r = key_store::parse(two_keys(), "keys.yaml");
    REQUIRE(r);
    const key_store& store = *r.value();
    REQUIRE(store.size() == 2);
    const key_entry* a = store.find(key_a);
    REQUIRE(a);
    CHECK(a->identity.name == "pi-7");
    CHECK(a->identity.folder == "/acme/greenhouse/pi-7");
    CHECK(a->sha256 == key_sha256(key_a));
    CHECK(a->id == key_sha256(key_a).substr(0, 12));
    CHECK(a->where.line == 2);
    CHECK(a->created == std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} + 10h);
    CHECK_FALSE(a->revoked);
    const key_entry* b = store.find(key_b);
    REQUIRE(b);
    CHECK(b->identity.name == "alice");
    CHECK(b->identity.read.size() == 1);  // a single glob is a one-element list
    CHECK(b->identity.may_write("/acme/x/inbox"));
    CHECK(store.find_id(b->id) == b);
    CHECK(store.find("ak_test-key-for-pi-7-00000") == nullptr);  // one character short
    CHECK(store.find("") == nullptr);
    CHECK(key_sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    // Empty files and lists are stores without keys.
    for (const char* empty : {"", "# nothing yet\n", "keys:\n", "keys: []\n"}) {
        auto e = key_store::parse(empty, "keys.yaml");
        REQUIRE(e);
        CHECK(e.value()->size() == 0);
    }
}

TEST_CASE("a revoked key is found by no lookup but match() and the listing", "[keys]") {
    auto r = key_store::parse(two_keys("    revoked: 2026-12-02T09:00:00+01:00\n"), "keys.yaml");
    REQUIRE(r);
    const key_store& store = *r.value();
    CHECK(store.find(key_b) == nullptr);
    const key_entry* b = store.match(key_b);
    REQUIRE(b);
    CHECK_FALSE(b->active());
    CHECK(b->revoked == std::chrono::sys_days{std::chrono::year{2026} / 12 / 2} + 8h);
    CHECK(store.find_id(b->id) == nullptr);
    CHECK(store.entry_by_id(b->id) == b);
    CHECK(store.size() == 2);
    CHECK(store.active_count() == 1);
    CHECK(store.find(key_a) != nullptr);

    // `revoked:` without a time still refuses the key.
    auto bare = key_store::parse(two_keys("    revoked:\n"), "keys.yaml");
    REQUIRE(bare);
    CHECK(bare.value()->find(key_b) == nullptr);
}

TEST_CASE("keys file errors name file:line:col and what is wrong", "[keys]") {
    const std::string sha = key_sha256(key_a);
    struct row {
        std::string text;
        std::string error;
    };
    const row rows[] = {
        {"keys: [\n", "keys.yaml:2:1: invalid YAML: end of sequence flow not found"},
        {"- a\n", "keys.yaml:1:1: a keys file is a mapping with one field, keys: (a list of entries)"},
        {"kees: []\n", "keys.yaml:1:1: unknown field; a keys file holds keys: only"},
        {"keys: {a: b}\n", "keys.yaml:1:7: keys: must be a list of entries"},
        {"keys:\n  - identity: x\n", "keys.yaml:2:5: an entry needs key (the key itself) or key-sha256 (its SHA-256)"},
        {"keys:\n  - key-sha256: " + sha + "\n",
         "keys.yaml:2:5: an entry needs identity (who holds the key: a user or a device name)"},
        {"keys:\n  - key-sha256: " + sha + "\n    identity: \"\"\n", "keys.yaml:3:15: identity: cannot be empty"},
        {"keys:\n  - key-sha256: abc\n    identity: x\n",
         "keys.yaml:2:17: key-sha256: must be 64 hex digits (sha256sum of the key)"},
        {"keys:\n  - key: short\n    identity: x\n",
         "keys.yaml:2:10: key: at least 16 characters (a shorter key can be guessed); `araldo keys add` makes one"},
        {"keys:\n  - key: \"ak_with a space-0123\"\n    identity: x\n",
         "keys.yaml:2:10: key: only visible ASCII characters, no spaces (what a bearer token carries)"},
        {"keys:\n  - key: ak_caf\xC3\xA9-0123456789\n    identity: x\n",
         "keys.yaml:2:10: key: only visible ASCII characters, no spaces (what a bearer token carries)"},
        {"keys:\n  - key: " + key_a + "\n    key-sha256: " + sha + "\n    identity: x\n",
         "keys.yaml:3:17: key-sha256: an entry has key or key-sha256, not both"},
        {"keys:\n  - key-sha256: " + sha + "\n    identity: x\n    folder: /acme/\n",
         "keys.yaml:4:13: folder: a folder cannot end with '/'"},
        {"keys:\n  - key-sha256: " + sha + "\n    identity: x\n    read: [/ok, acme]\n",
         "keys.yaml:4:17: read: \"acme\": a folder glob starts with '/' (or is \"**\" alone, for every message)"},
        {"keys:\n  - key-sha256: " + sha + "\n    identity: x\n    write: {a: b}\n",
         "keys.yaml:4:12: write: must be a list of folder globs"},
        {"keys:\n  - key-sha256: " + sha + "\n    identity: x\n    created: yesterday\n",
         "keys.yaml:4:14: created: expected a time such as 2026-12-01T10:00:00Z, got \"yesterday\""},
        {"keys:\n  - key-sha256: " + sha + "\n    identity: x\n    revoked: 1013-12-01T10:00:00Z\n",
         "keys.yaml:4:14: revoked: expected a time such as 2026-12-01T10:00:00Z, got \"1013-12-01T10:00:00Z\""},
        {"keys:\n  - key-sha256: " + sha + "\n    identity: x\n    colour: red\n",
         "keys.yaml:4:5: unknown field 'colour'; an entry has key or key-sha256, identity, folder, read, write, "
         "created, revoked"},
        {"keys:\n  - key-sha256: " + sha + "\n    identity: x\n    identity: y\n",
         "keys.yaml:4:5: duplicate field 'identity'"},
        {"keys:\n  - key-sha256: " + sha + "\n    identity: x\n  - key: " + key_a + "\n    identity: y\n",
         "keys.yaml:4:5: the same key as the entry at line 2 (x, id " + sha.substr(0, 12) + ")"},
    };
    for (const auto& r : rows) {
        INFO(r.text);
        CHECK(parse_error(r.text) == r.error);
    }
    auto missing = key_store::load("/nonexistent/keys.yaml");
    REQUIRE_FALSE(missing);
    CHECK(missing.reason() == "/nonexistent/keys.yaml: cannot read the keys file: No such file or directory");
}

TEST_CASE("generated keys are distinct, prefixed and base64url", "[keys]") {
    const auto a = generate_key(), b = generate_key();
    CHECK(a != b);
    CHECK(a.size() == 46);
    CHECK(a.starts_with("ak_"));
    CHECK(a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", 3) ==
          std::string::npos);
}

namespace {

// Runs the io_context until `done` holds, or fails after `bound` (a failure bound, not a wait).
void run_until(boost::asio::io_context& io, const std::function<bool()>& done, std::chrono::seconds bound = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (!done()) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        io.run_for(20ms);
        io.restart();
    }
}

struct watch_fixture {
    araldo::test::temp_dir dir;
    std::string path = dir / "keys.yaml";
    boost::asio::io_context io;
    spdlog::logger log{"keys-test", std::make_shared<spdlog::sinks::null_sink_mt>()};
    araldo::counter failures;
    std::vector<std::shared_ptr<const key_store>> changes;
    key_file_watch watch{io.get_executor(), path, log,
                         [this](std::shared_ptr<const key_store> s) { changes.push_back(std::move(s)); },
                         key_watch_settings{.poll_interval = 20ms, .reload_on_sighup = true, .failures = &failures}};
};

}  // namespace

TEST_CASE("the watcher reloads a changed file and keeps the old store when the new one is broken", "[keys]") {
    watch_fixture f;
    araldo::test::write_file(f.path, two_keys());
    f.watch.start();
    REQUIRE(f.watch.current()->find(key_b));

    // An edit in place: alice's key is revoked.
    araldo::test::write_file(f.path, two_keys("    revoked: 2026-12-02T09:00:00Z\n"));
    run_until(f.io, [&] { return f.changes.size() == 1; });
    CHECK(f.watch.current() == f.changes.back());
    CHECK(f.watch.current()->find(key_b) == nullptr);
    CHECK(f.watch.current()->find(key_a) != nullptr);

    // A broken file: counted, the previous store stays.
    araldo::test::write_file(f.path, "keys:\n  - identity: nobody\n");
    run_until(f.io, [&] { return f.watch.failures() == 1; });
    CHECK(f.failures.value() == 1);
    CHECK(f.changes.size() == 1);
    CHECK(f.watch.current()->find(key_a) != nullptr);

    // An editor's write-and-rename: a new inode.
    araldo::test::write_file(f.path + ".new", two_keys());
    REQUIRE(std::rename((f.path + ".new").c_str(), f.path.c_str()) == 0);
    run_until(f.io, [&] { return f.changes.size() == 2; });
    CHECK(f.watch.current()->find(key_b) != nullptr);
    CHECK(f.watch.reloads() == 2);

    // A file that goes away: the keys stay until it is back.
    REQUIRE(std::remove(f.path.c_str()) == 0);
    run_until(f.io, [&] { return f.watch.failures() == 2; });
    CHECK(f.watch.current()->find(key_b) != nullptr);
    f.watch.stop();
}

TEST_CASE("the watcher reloads on SIGHUP, and start() refuses a file that does not load", "[keys]") {
    watch_fixture f;
    araldo::test::write_file(f.path, "keys: [\n");
    CHECK_THROWS_WITH(f.watch.start(), Catch::StartsWith(f.path + ":2:1: invalid YAML"));

    araldo::test::write_file(f.path, two_keys());
    f.watch.start();
    f.io.poll();  // the signal wait is pending before the signal is raised
    std::raise(SIGHUP);
    run_until(f.io, [&] { return f.changes.size() == 1; });
    CHECK(f.watch.reloads() == 1);
    CHECK(f.changes.back()->size() == 2);
    f.watch.stop();
}
