// The rules an option table may state beyond a type: the values allowed
// (one_of) and an inclusive range (min, max). One place parses the bounds and
// words the refusals, for the validator, the loader's table check and the
// generated reference.
#pragma once

#include <araldo/options.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace araldo::detail {

bool takes_one_of(option_type t) noexcept;  // string, string_list
bool takes_range(option_type t) noexcept;   // integer, duration, size, duration_list

// A bound ("1", "1ms", "64KiB") as a value of the option's type: std::int64_t,
// araldo::duration or std::uint64_t. nullopt when it does not parse.
std::optional<options::value> parse_bound(const option_spec& spec, std::string_view text);

// The end of a refusal ("must be at least 1, got 0"), or empty when `v`
// (written as `text`) is within the spec's bounds. A bound that does not parse
// is a bug in the table: std::logic_error.
std::string range_problem(const option_spec& spec, const options::value& v, std::string_view text);

// "must be one of: a, b; got 'c'", or empty when `text` is allowed.
std::string one_of_problem(const option_spec& spec, std::string_view text);

// What the rules allow, for the reference: "one of `a`, `b`", "from `1` to
// `10000`", "at least `1ms`"; empty when the spec states none.
std::string describe_rules(const option_spec& spec);

}  // namespace araldo::detail
