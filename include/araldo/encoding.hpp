// Text encodings a plugin meets at its edges: base64 for HTTP Basic and
// Standard Webhooks, base64url for JSON Web Tokens, percent-encoding for URLs,
// form bodies and file names, and a comparison for secrets. Pure functions, no I/O: every
// result is a new string owned by the caller, every input is only read during
// the call. None of them throws except std::bad_alloc; bad input is reported
// as std::nullopt, never repaired.
#pragma once

#include <araldo/export.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace araldo {

// Standard base64 (RFC 4648 section 4) with '=' padding, as HTTP Basic
// credentials and Standard Webhooks secrets and signatures use it.
ARALDO_EXPORT std::string base64_encode(std::string_view bytes);
// Strict: nullopt on a character outside the alphabet (white space included),
// padding anywhere but at the end, or a length that is not a multiple of four.
// "" decodes to "".
ARALDO_EXPORT std::optional<std::string> base64_decode(std::string_view text);

// base64url (RFC 4648 section 5: '-' and '_' for '+' and '/') without padding,
// as JSON Web Tokens (RFC 7515) use it.
ARALDO_EXPORT std::string base64url_encode(std::string_view bytes);
// nullopt on any character outside the base64url alphabet ('=' included) or a
// length that leaves a single character over (a length of 4n+1).
ARALDO_EXPORT std::optional<std::string> base64url_decode(std::string_view text);

// Decodes %XY escapes (hex digits of either case) and, when `plus_as_space`
// (query strings, application/x-www-form-urlencoded bodies), '+' as a space.
// nullopt when a '%' is not followed by two hex digits. %00 decodes to a NUL
// byte like any other escape: a caller for which NUL is dangerous (a file
// path, a C string) checks the result for '\0' itself; the core's HTTP
// listener refuses such request paths with 400.
ARALDO_EXPORT std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space);

// Which bytes percent_encode leaves as they are; every other byte becomes %XY
// (upper-case hex, as RFC 3986 section 2.1 recommends).
enum class percent_keep {
    // RFC 3986 "unreserved": A-Z a-z 0-9 - . _ ~ (URL parts, form values).
    unreserved,
    // A-Z a-z 0-9 - _: a file name, never "." or "..", the same on every file system.
    alnum_dash_underscore,
    // '!' to '~' (so '%' itself too): for showing bytes that are not text, as
    // a client may have sent them; spaces, controls and bytes >= 0x80 encoded.
    visible_ascii,
};

// With `unreserved` and `alnum_dash_underscore` the inverse of percent_decode:
// percent_decode(percent_encode(s, k, p), p) == s for every s. With
// `space_as_plus` (application/x-www-form-urlencoded) a space becomes '+'.
ARALDO_EXPORT std::string percent_encode(std::string_view bytes, percent_keep keep, bool space_as_plus = false);

// Compares secrets (tokens, signatures, digests) in time that depends only on
// their lengths, not on where they first differ. Different lengths compare
// unequal at once: compare values of a fixed length (a MAC, a digest) when the
// length itself must not leak.
ARALDO_EXPORT bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace araldo
