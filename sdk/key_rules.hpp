// What keys.cpp and key_store.cpp share; not part of the SDK's interface
// (nothing here is exported).
#pragma once

#include <araldo/folder.hpp>
#include <araldo/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace araldo::detail {

// The reason of a failure is about the name only ("cannot be empty").
result<> check_identity_name(std::string_view name);
// A read or write right; the reason quotes the pattern.
result<folder_glob> compile_right(std::string_view pattern);

std::string raw_sha256(std::string_view bytes);
std::string to_hex(std::string_view bytes);

// RFC 3339: 2026-12-01T10:00:00Z, with optional fractions of a second and an
// offset (+02:00) instead of Z, in the years 1970 to 2200. nullopt for
// anything else.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace araldo::detail
