// Inside the SDK only (not exported): the UTF-8 rule of utf8.cpp, one
// sequence at a time, for code that must act on each bad byte (json.cpp).
#pragma once

#include <cstddef>
#include <string_view>

namespace araldo::detail {

// Length (1 to 4) of the well-formed UTF-8 sequence that starts `s`, by the
// same rule as araldo::valid_utf8; 0 when `s` is empty or starts none.
std::size_t utf8_sequence_length(std::string_view s) noexcept;

}  // namespace araldo::detail
