// Keys with identities (docs/folders.md#keys): a keys file maps each secret a
// client presents (a bearer token) to who it is (an identity: a user or a
// device), its own folder, and the folders it may read and write. Endpoints
// that authenticate clients share this one format, one lookup and one reload
// rule, so a key means the same on every endpoint.
//
// - key_identity: a value; make() builds one from a keys file entry or from
//   a JWT's claims alike.
// - key_store: one immutable snapshot of a keys file. Replaced whole on a
//   reload; whoever needs it beyond one call keeps the shared_ptr.
// - key_file_watch: re-reads a keys file when it changes or on SIGHUP, on
//   the io_context it is given (no thread). Plugins make one in start().
#pragma once

#include <araldo/context.hpp>
#include <araldo/error.hpp>
#include <araldo/export.hpp>
#include <araldo/folder.hpp>
#include <araldo/metrics.hpp>
#include <araldo/options.hpp>
#include <araldo/result.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace spdlog {
class logger;
}

namespace araldo {

// The attribute that names the identity a message came from.
inline constexpr std::string_view identity_attribute = "identity";

inline constexpr std::size_t max_identity_length = 256;

struct ARALDO_EXPORT key_identity {
    std::string name;                // who: a user or a device; never empty
    std::string folder;              // its own folder (a valid folder), or empty: none
    std::vector<folder_glob> read;   // folders it may read; empty: none
    std::vector<folder_glob> write;  // folders it may write besides its own; empty: none

    // A key may read a folder one of `read` matches.
    bool may_read(std::string_view folder) const;
    // A key may always write its own folder and every folder below it (a
    // device writes where it lives), and any folder one of `write` matches.
    bool may_write(std::string_view folder) const;

    // Fails naming what is wrong: an empty name, a name with control
    // characters or longer than max_identity_length, an invalid folder, a glob
    // that folder_glob::compile() refuses (quoted, with its reason). The
    // reasons start with the field's name: "read: ...".
    static result<key_identity> make(std::string name, std::string folder, const std::vector<std::string>& read,
                                     const std::vector<std::string>& write);
};

// The SHA-256 of a presented key, as 64 lowercase hex digits: what a keys
// file's `key-sha256` holds.
ARALDO_EXPORT std::string key_sha256(std::string_view presented);
// A new random key: "ak_" and 32 bytes from OpenSSL's generator in unpadded
// base64url (46 characters).
ARALDO_EXPORT std::string generate_key();

struct key_entry {
    std::string id;      // the first 12 hex digits of sha256: stable across reloads, safe to log
    std::string sha256;  // of the key, 64 lowercase hex digits
    key_identity identity;
    std::optional<std::chrono::system_clock::time_point> created;
    std::optional<std::chrono::system_clock::time_point> revoked;  // set: the key is refused
    source_mark where;                                             // the entry in the file

    bool active() const noexcept { return !revoked; }
};

// A keys file, parsed and checked:
//
//   keys:
//     - key-sha256: "5e88..."      # or key: "ak_..." (the key itself)
//       identity: pi-7
//       folder: /acme/greenhouse/pi-7
//       read: ["/acme/greenhouse/**"]
//       write: ["/acme/greenhouse/pi-7/**"]
//       created: 2026-12-01T10:00:00Z
//       revoked: 2026-12-02T09:00:00Z
//
// Immutable once loaded; lookups compare digests, never secrets.
class ARALDO_EXPORT key_store {
public:
    // Reads and parses `file`. A failure's reason starts with file:line:col
    // (or file: when there is no position) and says what is wrong.
    static result<std::shared_ptr<const key_store>> load(const std::filesystem::path& file);
    // The same from text; `file` only names it in errors.
    static result<std::shared_ptr<const key_store>> parse(std::string_view text, const std::string& file);

    // The active entry whose key is `presented`, else nullptr (unknown or
    // revoked). The presented key is hashed and the digest looked up, so the
    // time taken says nothing about how much of a key was right.
    const key_entry* find(std::string_view presented) const;
    // As find(), revoked entries included: to tell "revoked" from "unknown".
    const key_entry* match(std::string_view presented) const;
    // The active entry with this id, else nullptr: what a connection that
    // remembered its key's id checks after a reload.
    const key_entry* find_id(std::string_view id) const;
    // Any entry with this id, revoked included.
    const key_entry* entry_by_id(std::string_view id) const;

    // Every entry, in file order, revoked ones included.
    const std::vector<key_entry>& entries() const noexcept { return entries_; }
    std::vector<key_entry>::const_iterator begin() const noexcept { return entries_.begin(); }
    std::vector<key_entry>::const_iterator end() const noexcept { return entries_.end(); }
    std::size_t size() const noexcept { return entries_.size(); }
    std::size_t active_count() const noexcept;

    const std::string& file() const noexcept { return file_; }

private:
    key_store() = default;
    ARALDO_HIDDEN const key_entry* by_digest(const std::string& digest) const;

    std::string file_;
    std::vector<key_entry> entries_;
    std::unordered_map<std::string, std::size_t> by_digest_;  // raw 32-byte digest -> entry
    std::unordered_map<std::string, std::size_t> by_id_;
};

// The `keys-file` option, spelled alike by every endpoint that takes keys.
ARALDO_EXPORT option_spec keys_file_option();
// Its path, resolved as every file option is (relative: the config file's
// folder); nullopt when not given. Reads no file.
ARALDO_EXPORT std::optional<std::filesystem::path> read_keys_file_option(const options& opts,
                                                                         const global_settings& global);

// Keeps the current key_store of one file. start() loads the file; from then
// on a change (checked every poll interval: inode, size, modification and
// change times, so an editor's write-and-rename is seen too) or SIGHUP
// reloads it. A reload that fails keeps the previous store, logs the error
// with file:line:col and counts it; a successful one calls on_change with
// the new store. Everything runs on `executor`; stop() (or the destructor)
// cancels the timer and the signal wait.
struct key_watch_settings {
    std::chrono::milliseconds poll_interval{250};
    bool reload_on_sighup = true;
    // Counted on every failed reload (the endpoint's metric), if given.
    araldo::counter* failures = nullptr;
};

class ARALDO_EXPORT key_file_watch {
public:
    using change_handler = std::function<void(std::shared_ptr<const key_store>)>;
    using settings = key_watch_settings;

    key_file_watch(boost::asio::any_io_executor executor, std::filesystem::path file, spdlog::logger& log,
                   change_handler on_change = {}, settings s = {});
    ~key_file_watch();
    key_file_watch(const key_file_watch&) = delete;
    key_file_watch& operator=(const key_file_watch&) = delete;

    // Loads the file and starts watching. Throws std::runtime_error with the
    // reason (file:line:col) when the first load fails: there is no previous
    // store to keep.
    void start();
    void stop();
    // Reloads now, as SIGHUP does. True when the file loaded.
    bool reload();

    // Never null after start().
    std::shared_ptr<const key_store> current() const;
    std::uint64_t reloads() const noexcept;   // successful reloads after the first load
    std::uint64_t failures() const noexcept;  // failed reloads
    const std::filesystem::path& file() const noexcept;

private:
    struct impl;
    std::shared_ptr<impl> impl_;  // shared with pending handlers, which may outlive *this
};

}  // namespace araldo
