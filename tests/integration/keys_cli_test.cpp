// `araldo keys add/list/revoke` through the real binary: what it writes is a
// keys file the SDK loads, the key is printed once and never stored, revoked
// keys stay listed with their time, and every mistake exits 2 leaving the
// file as it was.
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <araldo/keys.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <string>
#include <vector>

using namespace araldo::test;

namespace {

struct keys_cli {
    temp_dir dir;
    std::string file = dir / "keys.yaml";

    run_result run(std::vector<std::string> args, bool with_file = true) const {
        args.insert(args.begin(), {ARALDO_BINARY, "keys"});
        if (with_file) args.insert(args.end(), {"--file", file});
        return run_command(args, dir.path());
    }
};

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t at = 0; at < text.size();) {
        auto end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

std::string id_of(const std::string& key) { return araldo::key_sha256(key).substr(0, 12); }

}  // namespace

TEST_CASE("araldo keys add prints a new key once and keeps only its digest", "[integration][keys]") {
    keys_cli cli;
    auto added = cli.run({"add", "--identity", "pi-7", "--folder", "/acme/greenhouse/pi-7", "--read",
                          "/acme/greenhouse/**", "--write", "/acme/alarms", "--write", "/acme/log"});
    INFO(added.err);
    REQUIRE(added.code == 0);
    const auto out = lines(added.out);
    REQUIRE(out.size() == 1);
    const std::string key = out[0];
    CHECK(key.starts_with("ak_"));
    CHECK(key.size() == 46);
    CHECK_THAT(added.err, Catch::Contains("added key " + id_of(key) + " for pi-7"));

    const std::string text = read_file(cli.file);
    CHECK_THAT(text, !Catch::Contains(key) && Catch::Contains(araldo::key_sha256(key)));
    struct stat st {};
    REQUIRE(::stat(cli.file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);  // a keys file may hold keys: the owner's alone

    auto store = araldo::key_store::load(cli.file);
    REQUIRE(store);
    const araldo::key_entry* e = store.value()->find(key);
    REQUIRE(e);
    CHECK(e->identity.name == "pi-7");
    CHECK(e->identity.folder == "/acme/greenhouse/pi-7");
    CHECK(e->identity.may_read("/acme/greenhouse/pi-8"));
    CHECK(e->identity.may_write("/acme/log"));
    CHECK(e->created);

    // A second key is another entry, with another key.
    auto second = cli.run({"add", "--identity", "pi-7"});
    REQUIRE(second.code == 0);
    CHECK(lines(second.out)[0] != key);
    CHECK(araldo::key_store::load(cli.file).value()->size() == 2);
}

TEST_CASE("araldo keys list shows every key, revoked ones with their time, never a key", "[integration][keys]") {
    keys_cli cli;
    const std::string a = lines(cli.run({"add", "--identity", "pi-7", "--folder", "/acme/pi-7"}).out)[0];
    const std::string b = lines(cli.run({"add", "--identity", "alice", "--read", "/acme/**", "--read", "/x"}).out)[0];
    const std::string c = lines(cli.run({"add", "--identity", "alice"}).out)[0];

    auto listed = cli.run({"list"});
    REQUIRE(listed.code == 0);
    auto rows = lines(listed.out);
    REQUIRE(rows.size() == 4);
    CHECK_THAT(rows[0], Catch::Matches("ID +IDENTITY +FOLDER +READ +WRITE +CREATED +REVOKED"));
    CHECK_THAT(rows[1], Catch::Matches(id_of(a) + " +pi-7 +/acme/pi-7 +- +- +20\\d\\d-\\d\\d-\\d\\dT[0-9:]+Z +-"));
    CHECK_THAT(rows[2], Catch::Matches(id_of(b) + " +alice +- +/acme/\\*\\*,/x +- +\\S+Z +-"));
    CHECK_THAT(listed.out, !Catch::Contains(a) && !Catch::Contains(b) && !Catch::Contains(c));

    // By id: that key alone.
    auto by_id = cli.run({"revoke", id_of(a)});
    CHECK(by_id.code == 0);
    CHECK(by_id.out == "revoked " + id_of(a) + " (pi-7)\n");
    // By identity: every key it holds.
    auto by_name = cli.run({"revoke", "alice"});
    CHECK(by_name.code == 0);
    CHECK(by_name.out == "revoked " + id_of(b) + " (alice)\nrevoked " + id_of(c) + " (alice)\n");
    // Again: nothing left to revoke, and the time stays the first one.
    const std::string before = read_file(cli.file);
    auto again = cli.run({"revoke", "pi-7"});
    CHECK(again.code == 0);
    CHECK_THAT(again.err, Catch::Contains("key " + id_of(a) + " (pi-7) was revoked already, at "));
    CHECK(read_file(cli.file) == before);

    rows = lines(cli.run({"list"}).out);
    REQUIRE(rows.size() == 4);
    for (std::size_t i = 1; i < 4; ++i) CHECK_THAT(rows[i], Catch::Matches(".*Z +20\\d\\d-\\d\\d-\\d\\dT[0-9:]+Z"));
    auto store = araldo::key_store::load(cli.file);
    REQUIRE(store);
    CHECK(store.value()->active_count() == 0);
    CHECK(store.value()->match(a)->revoked);
}

TEST_CASE("araldo keys revoke keeps an entry written by hand as it was, comments aside", "[integration][keys]") {
    keys_cli cli;
    const std::string key = "ak_written-by-hand-0123456789";
    write_file(cli.file, "# a comment that is not kept\nkeys:\n  - key: " + key +
                             "\n    identity: \"caf\xC3\xA9 \\\"bar\\\"\"\n    folder: /acme\n");
    auto revoked = cli.run({"revoke", id_of(key)});
    INFO(revoked.err);
    REQUIRE(revoked.code == 0);
    const std::string text = read_file(cli.file);
    CHECK_THAT(text, !Catch::Contains("a comment that is not kept"));
    CHECK_THAT(text, Catch::Contains("key: \"" + key + "\""));
    auto store = araldo::key_store::load(cli.file);
    REQUIRE(store);
    REQUIRE(store.value()->match(key));
    CHECK(store.value()->match(key)->identity.name == "caf\xC3\xA9 \"bar\"");
    CHECK_FALSE(store.value()->match(key)->active());
}

TEST_CASE("araldo keys: mistakes exit 2 with the reason and leave the file alone", "[integration][keys]") {
    keys_cli cli;
    REQUIRE(cli.run({"add", "--identity", "pi-7"}).code == 0);
    const std::string before = read_file(cli.file);
    struct row {
        std::vector<std::string> args;
        bool with_file;
        std::string error;
    };
    const row rows[] = {
        {{"list"}, false, "araldo: keys list needs --file FILE\n"},
        {{"add"}, true, "araldo: keys add needs --identity NAME (a user or a device)\n"},
        {{"add", "--identity", "x", "--folder", "acme"}, true, "araldo: folder: a folder starts with '/'\n"},
        {{"add", "--identity", "x", "--read", "/a/"},
         true,
         "araldo: read: \"/a/\": a folder glob cannot end with '/'\n"},
        {{"list", "--file"}, false, "araldo: --file needs a value\n"},
        {{"revoke"}, true, "araldo: keys revoke needs one key id or identity\n"},
        {{"revoke", "nobody"}, true, "araldo: no key with the id or identity 'nobody' in " + cli.file + "\n"},
        {{"rotate"}, true, "araldo: unknown keys command 'rotate'; use list, add or revoke\n"},
        {{"list", "--colour"}, true, "araldo: unknown argument '--colour'\n"},
    };
    for (const auto& r : rows) {
        INFO(r.args[0]);
        auto result = cli.run(r.args, r.with_file);
        CHECK(result.code == 2);
        CHECK(result.err == r.error);
        CHECK(result.out.empty());
    }
    CHECK(read_file(cli.file) == before);

    // A file that does not load is never rewritten.
    write_file(cli.file, "keys:\n  - identity: x\n");
    auto broken = cli.run({"add", "--identity", "y"});
    CHECK(broken.code == 2);
    CHECK(broken.err ==
          "araldo: " + cli.file + ":2:5: an entry needs key (the key itself) or key-sha256 (its SHA-256)\n");
    CHECK(read_file(cli.file) == "keys:\n  - identity: x\n");

    auto help = cli.run({"--help"}, false);
    CHECK(help.code == 0);
    CHECK_THAT(help.out, Catch::Contains("araldo keys revoke --file FILE ID-or-IDENTITY"));
}
