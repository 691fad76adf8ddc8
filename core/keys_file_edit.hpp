// Rewriting a keys file: the YAML tree of the file as it is, changed by the
// command, written back whole and atomically (a temp file renamed over it),
// so a relay watching the file never reads half of it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

namespace araldo::detail {

// The keys file's entries (a sequence, empty for a missing or empty file) as
// a tree the caller may change. Throws std::invalid_argument with
// file:line:col when the file does not load as a keys file: a command never
// rewrites what it could not read.
struct keys_document {
    std::filesystem::path file;
    bool exists = false;
    YAML::Node entries;  // a sequence of mappings, in file order
};
keys_document read_keys_document(const std::filesystem::path& file);

// The text written for `entries`: a comment, `keys:` and one block mapping
// per entry, fields in their order, strings quoted, times plain.
std::string render_keys(const YAML::Node& entries);

// Writes `text` to a temp file beside `file`, with the mode of the file it
// replaces (0600 for a new one: a keys file may hold keys), flushes it to
// disk and renames it over `file`. Throws std::runtime_error naming the
// step that failed.
void replace_file(const std::filesystem::path& file, const std::string& text);

}  // namespace araldo::detail
