// The one query-string lookup, shared by http_request and request_view
// (not exported: each exposes it as its own query_param).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace araldo::detail {

// First parameter `name` of a raw query ("a=1&b=x%20y"), form-decoded.
std::optional<std::string> find_query_param(std::string_view query, std::string_view name);

}  // namespace araldo::detail
