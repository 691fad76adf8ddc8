// The keys file: YAML read with yaml-cpp (linked privately: no yaml-cpp type
// crosses the SDK's interface), every error at its line and column.
#include <araldo/keys.hpp>

#include "key_rules.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace araldo {

namespace {

// Far above any real keys file (a million keys is about 300 MB): a larger
// file is a mistake, and reading it whole would hold up the event loop.
constexpr std::size_t max_file_bytes = 64 * 1024 * 1024;
// A key typed by hand: shorter ones can be guessed. `araldo keys add` makes 46.
constexpr std::size_t min_key_length = 16;
constexpr std::size_t id_length = 12;

struct parse_failure {
    source_mark where;
    std::string what;
};

class entry_parser {
public:
    explicit entry_parser(const std::string& file) : file_(file) {}

    source_mark mark(const YAML::Node& node) const {
        if (!node.IsDefined()) return {file_, 0, 0};
        const YAML::Mark m = node.Mark();
        if (m.is_null()) return {file_, 0, 0};
        return {file_, m.line + 1, m.column + 1};
    }

    [[noreturn]] void fail(const YAML::Node& at, std::string what) const {
        throw parse_failure{mark(at), std::move(what)};
    }

    // A scalar, or nullopt for a field written without a value (null).
    std::optional<std::string> scalar(const YAML::Node& v, const std::string& field) const {
        if (v.IsNull()) return std::nullopt;
        if (!v.IsScalar()) fail(v, field + ": must be a string");
        return v.Scalar();
    }

    std::vector<std::pair<std::string, source_mark>> list(const YAML::Node& v, const std::string& field) const {
        std::vector<std::pair<std::string, source_mark>> out;
        if (v.IsNull()) return out;
        if (v.IsScalar()) {
            out.emplace_back(v.Scalar(), mark(v));  // one glob alone, as in every string list of araldo's
            return out;
        }
        if (!v.IsSequence()) fail(v, field + ": must be a list of folder globs");
        for (const auto& item : v) {
            if (!item.IsScalar()) fail(item, field + ": each element must be a folder glob (a string)");
            out.emplace_back(item.Scalar(), mark(item));
        }
        return out;
    }

    std::optional<std::chrono::system_clock::time_point> time(const YAML::Node& v, const std::string& field) const {
        auto text = scalar(v, field);
        if (!text) return std::nullopt;
        auto t = detail::parse_rfc3339(*text);
        if (!t) fail(v, field + ": expected a time such as 2026-12-01T10:00:00Z, got \"" + *text + "\"");
        return t;
    }

    key_entry parse(const YAML::Node& node) const;

private:
    std::string digest_of(const YAML::Node& entry, const YAML::Node* key, const YAML::Node* sha) const;
    std::vector<folder_glob> rights(const YAML::Node& v, const std::string& field) const {
        std::vector<folder_glob> out;
        for (auto& [pattern, where] : list(v, field)) {
            auto glob = detail::compile_right(pattern);
            if (!glob) throw parse_failure{where, field + ": " + glob.reason()};
            out.push_back(std::move(glob).value());
        }
        return out;
    }

    const std::string& file_;
};

constexpr const char* fields[] = {"key", "key-sha256", "identity", "folder", "read", "write", "created", "revoked"};

std::string digest_from_hex(std::string_view hex) {
    std::string raw;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        const auto nibble = [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10;
        };
        raw += static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1]));
    }
    return raw;
}

std::string entry_parser::digest_of(const YAML::Node& entry, const YAML::Node* key, const YAML::Node* sha) const {
    if (key && sha) fail(*sha, "key-sha256: an entry has key or key-sha256, not both");
    if (!key && !sha) fail(entry, "an entry needs key (the key itself) or key-sha256 (its SHA-256)");
    if (key) {
        auto text = scalar(*key, "key").value_or("");
        if (text.size() < min_key_length)
            fail(*key, "key: at least " + std::to_string(min_key_length) +
                           " characters (a shorter key can be guessed); `araldo keys add` makes one");
        // A bearer token is visible ASCII; anything else would also not survive
        // `araldo keys` rewriting the file as UTF-8 text.
        if (std::any_of(text.begin(), text.end(), [](unsigned char c) { return c <= 0x20 || c >= 0x7F; }))
            fail(*key, "key: only visible ASCII characters, no spaces (what a bearer token carries)");
        return detail::raw_sha256(text);
    }
    auto hex = scalar(*sha, "key-sha256").value_or("");
    if (hex.size() != 64 || !std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c); }))
        fail(*sha, "key-sha256: must be 64 hex digits (sha256sum of the key)");
    return digest_from_hex(hex);
}

key_entry entry_parser::parse(const YAML::Node& node) const {
    if (!node.IsMap()) fail(node, "each entry of keys is a mapping (key-sha256:, identity:, ...)");
    std::map<std::string, YAML::Node> seen;
    for (const auto& kv : node) {
        if (!kv.first.IsScalar()) fail(kv.first, "a field name must be a string");
        const std::string& name = kv.first.Scalar();
        if (std::find(std::begin(fields), std::end(fields), name) == std::end(fields))
            fail(kv.first, "unknown field '" + name +
                               "'; an entry has key or key-sha256, identity, folder, read, write, created, revoked");
        if (!seen.emplace(name, kv.second).second) fail(kv.first, "duplicate field '" + name + "'");
    }
    const auto field = [&](const char* name) -> const YAML::Node* {
        auto it = seen.find(name);
        return it == seen.end() ? nullptr : &it->second;
    };
    key_entry e;
    e.where = mark(node);
    const std::string digest = digest_of(node, field("key"), field("key-sha256"));
    e.sha256 = detail::to_hex(digest);
    e.id = e.sha256.substr(0, id_length);
    const YAML::Node* identity = field("identity");
    if (!identity) fail(node, "an entry needs identity (who holds the key: a user or a device name)");
    e.identity.name = scalar(*identity, "identity").value_or("");
    if (auto ok = detail::check_identity_name(e.identity.name); !ok) fail(*identity, "identity: " + ok.reason());
    if (const YAML::Node* f = field("folder")) {
        e.identity.folder = scalar(*f, "folder").value_or("");
        if (!e.identity.folder.empty()) {
            if (auto ok = valid_folder(e.identity.folder); !ok) fail(*f, "folder: " + ok.reason());
        }
    }
    if (const YAML::Node* r = field("read")) e.identity.read = rights(*r, "read");
    if (const YAML::Node* w = field("write")) e.identity.write = rights(*w, "write");
    if (const YAML::Node* c = field("created")) e.created = time(*c, "created");
    if (const YAML::Node* r = field("revoked")) {
        e.revoked = time(*r, "revoked");
        // `revoked:` with no time still means revoked: refusing is the safe reading.
        if (!e.revoked) e.revoked = std::chrono::system_clock::time_point{};
    }
    return e;
}

std::string where_text(const source_mark& m) { return m.str() + ": "; }

}  // namespace

result<std::shared_ptr<const key_store>> key_store::parse(std::string_view text, const std::string& file) {
    using answer = result<std::shared_ptr<const key_store>>;
    if (text.size() > max_file_bytes)
        return answer::fail(file + ": larger than " + std::to_string(max_file_bytes / (1024 * 1024)) + " MiB");
    std::shared_ptr<key_store> store(new key_store());
    store->file_ = file;
    entry_parser p(file);
    try {
        const YAML::Node root = YAML::Load(std::string(text));
        if (root.IsNull()) return answer::ok(store);  // an empty file: no keys yet
        if (!root.IsMap()) p.fail(root, "a keys file is a mapping with one field, keys: (a list of entries)");
        YAML::Node keys;
        bool found = false;
        for (const auto& kv : root) {
            if (!kv.first.IsScalar() || kv.first.Scalar() != "keys")
                p.fail(kv.first, "unknown field; a keys file holds keys: only");
            if (found) p.fail(kv.first, "duplicate field 'keys'");
            found = true;
            keys = kv.second;
        }
        if (keys.IsNull()) return answer::ok(store);
        if (!keys.IsSequence()) p.fail(keys, "keys: must be a list of entries");
        for (const auto& node : keys) {
            key_entry e = p.parse(node);
            const std::string digest = digest_from_hex(e.sha256);
            if (auto* before = store->by_digest(digest))
                throw parse_failure{e.where, "the same key as the entry at line " + std::to_string(before->where.line) +
                                                 " (" + before->identity.name + ", id " + before->id + ")"};
            if (auto* before = store->entry_by_id(e.id))
                throw parse_failure{e.where, "two keys share the id " + e.id + " (the entry at line " +
                                                 std::to_string(before->where.line) + "); make a new key"};
            store->by_digest_.emplace(digest, store->entries_.size());
            store->by_id_.emplace(e.id, store->entries_.size());
            store->entries_.push_back(std::move(e));
        }
    } catch (const parse_failure& f) {
        return answer::fail(where_text(f.where) + f.what);
    } catch (const YAML::Exception& e) {
        const source_mark m{file, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1};
        return answer::fail(where_text(m) + "invalid YAML: " + e.msg);
    }
    return answer::ok(store);
}

result<std::shared_ptr<const key_store>> key_store::load(const std::filesystem::path& file) {
    using answer = result<std::shared_ptr<const key_store>>;
    std::ifstream in(file, std::ios::binary);
    if (!in) return answer::fail(file.string() + ": cannot read the keys file: " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return answer::fail(file.string() + ": cannot read the keys file: " + std::strerror(errno));
    return parse(text.str(), file.string());
}

const key_entry* key_store::by_digest(const std::string& digest) const {
    const auto it = by_digest_.find(digest);
    // Comparing digests, not keys: how long it takes says nothing about the key.
    return it == by_digest_.end() ? nullptr : &entries_[it->second];
}

const key_entry* key_store::match(std::string_view presented) const { return by_digest(detail::raw_sha256(presented)); }

const key_entry* key_store::find(std::string_view presented) const {
    const key_entry* e = match(presented);
    return e && e->active() ? e : nullptr;
}

const key_entry* key_store::entry_by_id(std::string_view id) const {
    const auto it = by_id_.find(std::string(id));
    return it == by_id_.end() ? nullptr : &entries_[it->second];
}

const key_entry* key_store::find_id(std::string_view id) const {
    const key_entry* e = entry_by_id(id);
    return e && e->active() ? e : nullptr;
}

std::size_t key_store::active_count() const noexcept {
    return static_cast<std::size_t>(
        std::count_if(entries_.begin(), entries_.end(), [](const key_entry& e) { return e.active(); }));
}

}  // namespace araldo
