// A payload as a log line may show it (log-payloads: true in the core and in
// endpoint-webhook): cut, on one line, with secrets masked. One rule for
// every plugin that logs what it carries.
#pragma once

#include <araldo/export.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace araldo {

// At most `limit` bytes of `payload`, then "... (N more bytes)"; newlines and
// other control characters escaped (\n, \x01), so a line stays one line; and
// the string value of every JSON field whose name holds token, secret,
// password, key, authorization or signature (any case) replaced by "***".
ARALDO_EXPORT std::string loggable_payload(std::string_view payload, std::size_t limit = 1024);

}  // namespace araldo
