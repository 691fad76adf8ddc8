#include "keys_command.hpp"

#include "keys_file_edit.hpp"

#include <araldo/keys.hpp>
#include <araldo/time.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <ostream>
#include <stdexcept>

namespace araldo::detail {

namespace {

struct keys_args {
    std::string action;
    std::string file;
    std::string identity;
    std::string folder;
    std::vector<std::string> read, write;
    std::vector<std::string> positional;
    bool help = false;
};

// Usage errors and files that do not load: exit 2.
struct usage_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

keys_args parse_args(const std::vector<std::string>& args) {
    keys_args a;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        std::optional<std::string> inline_value;
        if (arg.starts_with("--") && arg.find('=') != std::string::npos) {
            inline_value = arg.substr(arg.find('=') + 1);
            arg = arg.substr(0, arg.find('='));
        }
        const auto value = [&]() -> std::string {
            if (inline_value) return *inline_value;
            if (i + 1 >= args.size()) throw usage_error(arg + " needs a value");
            return args[++i];
        };
        if (arg == "-h" || arg == "--help") a.help = true;
        else if (arg == "--file" || arg == "-f") a.file = value();
        else if (arg == "--identity") a.identity = value();
        else if (arg == "--folder") a.folder = value();
        else if (arg == "--read") a.read.push_back(value());
        else if (arg == "--write") a.write.push_back(value());
        else if (arg.starts_with("-")) throw usage_error("unknown argument '" + arg + "'");
        else if (a.action.empty()) a.action = arg;
        else a.positional.push_back(arg);
    }
    return a;
}

std::string now_text() { return format_utc(std::chrono::system_clock::now()); }

std::string join(const std::vector<folder_glob>& globs) {
    std::string out;
    for (const auto& g : globs) out += (out.empty() ? "" : ",") + g.text();
    return out.empty() ? "-" : out;
}

int list(const keys_args& a, std::ostream& out) {
    if (!a.positional.empty()) throw usage_error("keys list takes no argument '" + a.positional.front() + "'");
    auto store = key_store::load(a.file);
    if (!store) throw usage_error(store.reason());
    std::vector<std::vector<std::string>> rows{{"ID", "IDENTITY", "FOLDER", "READ", "WRITE", "CREATED", "REVOKED"}};
    for (const key_entry& e : *store.value()) {
        rows.push_back({e.id, e.identity.name, e.identity.folder.empty() ? "-" : e.identity.folder,
                        join(e.identity.read), join(e.identity.write), e.created ? format_utc(*e.created) : "-",
                        e.revoked ? format_utc(*e.revoked) : "-"});
    }
    std::vector<std::size_t> width(rows.front().size(), 0);
    for (const auto& r : rows)
        for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t c = 0; c < r.size(); ++c)
            line += c + 1 == r.size() ? r[c] : r[c] + std::string(width[c] - r[c].size() + 2, ' ');
        out << line << "\n";
    }
    return 0;
}

int add(const keys_args& a, std::ostream& out, std::ostream& err) {
    if (!a.positional.empty()) throw usage_error("keys add takes no argument '" + a.positional.front() + "'");
    if (a.identity.empty()) throw usage_error("keys add needs --identity NAME (a user or a device)");
    auto identity = key_identity::make(a.identity, a.folder, a.read, a.write);
    if (!identity) throw usage_error(identity.reason());
    keys_document doc = read_keys_document(a.file);
    const std::string key = generate_key();
    YAML::Node entry(YAML::NodeType::Map);
    entry["key-sha256"] = key_sha256(key);
    entry["identity"] = a.identity;
    if (!a.folder.empty()) entry["folder"] = a.folder;
    const auto list_node = [](const std::vector<std::string>& items) {
        YAML::Node n(YAML::NodeType::Sequence);
        for (const auto& i : items) n.push_back(i);
        return n;
    };
    entry["read"] = list_node(a.read);
    entry["write"] = list_node(a.write);
    entry["created"] = now_text();
    doc.entries.push_back(entry);
    replace_file(a.file, render_keys(doc.entries));
    const std::string id = key_sha256(key).substr(0, 12);
    err << "added key " << id << " for " << a.identity << " to " << a.file
        << "; only its SHA-256 is kept, so this is the one time the key is shown:\n";
    out << key << "\n";
    return 0;
}

int revoke(const keys_args& a, std::ostream& out, std::ostream& err) {
    if (a.positional.size() != 1) throw usage_error("keys revoke needs one key id or identity");
    const std::string& which = a.positional.front();
    keys_document doc = read_keys_document(a.file);
    auto store = key_store::load(a.file);
    if (!store) throw usage_error(store.reason());
    const auto& entries = store.value()->entries();
    // An id names one key; an identity, every key it holds (a lost device loses them all).
    const bool by_id = store.value()->entry_by_id(which) != nullptr;
    std::size_t matched = 0, revoked = 0;
    const std::string now = now_text();
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const key_entry& e = entries[i];
        if (by_id ? e.id != which : e.identity.name != which) continue;
        ++matched;
        if (!e.active()) {
            err << "key " << e.id << " (" << e.identity.name << ") was revoked already, at " << format_utc(*e.revoked)
                << "\n";
            continue;
        }
        doc.entries[i]["revoked"] = now;
        ++revoked;
        out << "revoked " << e.id << " (" << e.identity.name << ")\n";
    }
    if (matched == 0) throw usage_error("no key with the id or identity '" + which + "' in " + a.file);
    if (revoked > 0) replace_file(a.file, render_keys(doc.entries));
    return 0;
}

}  // namespace

std::string keys_usage() {
    return "araldo keys list --file FILE\n"
           "araldo keys add --file FILE --identity NAME [--folder F] [--read GLOB]... [--write GLOB]...\n"
           "araldo keys revoke --file FILE ID-or-IDENTITY";
}

int run_keys_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    try {
        const keys_args a = parse_args(args);
        if (a.help || a.action.empty()) {
            std::string usage = keys_usage();
            for (std::size_t at = usage.find('\n'); at != std::string::npos; at = usage.find('\n', at + 1))
                usage.insert(at + 1, "  ");
            (a.help ? out : err) << "usage:\n  " << usage
                                 << "\n\nKeys are written to FILE, a keys file as endpoint-http's and "
                                    "endpoint-websocket's keys-file read it\n(docs/folders.md#keys).\n";
            return a.help ? 0 : 2;
        }
        if (a.file.empty()) throw usage_error("keys " + a.action + " needs --file FILE");
        if (a.action == "list") return list(a, out);
        if (a.action == "add") return add(a, out, err);
        if (a.action == "revoke") return revoke(a, out, err);
        throw usage_error("unknown keys command '" + a.action + "'; use list, add or revoke");
    } catch (const std::invalid_argument& e) {
        err << "araldo: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        err << "araldo: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace araldo::detail
