// araldo::key_store::parse (sdk/key_store.cpp), the keys file every endpoint
// with a keys-file reads, and render_keys (core/keys_file_edit.cpp), what
// `araldo keys` writes back.
//
// Input: a keys file. Properties: parsing never crashes; a file that parses
// holds entries that keep the rules (ids from digests, findable by id,
// identities and folders valid); and what `araldo keys` would write for it
// parses to the same entries, so rewriting a file never changes or drops a
// key's meaning.
#include "fuzz_check.hpp"

#include "keys_file_edit.hpp"

#include <araldo/keys.hpp>

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

std::string rights(const std::vector<araldo::folder_glob>& globs) {
    std::string out;
    for (const auto& g : globs) out += g.text() + "\n";
    return out;
}

bool same(const araldo::key_entry& a, const araldo::key_entry& b) {
    return a.id == b.id && a.sha256 == b.sha256 && a.identity.name == b.identity.name &&
           a.identity.folder == b.identity.folder && rights(a.identity.read) == rights(b.identity.read) &&
           rights(a.identity.write) == rights(b.identity.write) && a.created == b.created && a.revoked == b.revoked;
}

void check_entries(const araldo::key_store& store) {
    for (const auto& e : store) {
        FUZZ_CHECK(e.sha256.size() == 64);
        FUZZ_CHECK(e.id == e.sha256.substr(0, 12));
        FUZZ_CHECK(store.entry_by_id(e.id) == &e);
        FUZZ_CHECK(store.find_id(e.id) == (e.active() ? &e : nullptr));
        FUZZ_CHECK(!e.identity.name.empty());
        FUZZ_CHECK(e.identity.folder.empty() || araldo::valid_folder(e.identity.folder));
        if (!e.identity.folder.empty()) FUZZ_CHECK(e.identity.may_write(e.identity.folder));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto parsed = araldo::key_store::parse(text, "keys.yaml");
    if (!parsed) {
        FUZZ_CHECK(parsed.reason().starts_with("keys.yaml:"));
        return 0;
    }
    const araldo::key_store& store = *parsed.value();
    check_entries(store);

    const YAML::Node root = YAML::Load(text);
    YAML::Node entries(YAML::NodeType::Sequence);
    if (root.IsMap() && root["keys"] && root["keys"].IsSequence()) entries = root["keys"];
    const std::string rewritten = araldo::detail::render_keys(entries);
    auto again = araldo::key_store::parse(rewritten, "keys.yaml");
    if (!again) std::fprintf(stderr, "%s\n%s\n", rewritten.c_str(), again.reason().c_str());
    FUZZ_CHECK(again);
    FUZZ_CHECK(again.value()->size() == store.size());
    for (std::size_t i = 0; i < store.size(); ++i) FUZZ_CHECK(same(store.entries()[i], again.value()->entries()[i]));
    return 0;
}
