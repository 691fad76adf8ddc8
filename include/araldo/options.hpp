// A plugin's options, declared as a table and validated by the core.
//
// Each factory declares its options (name, type, default, description,
// required, and optionally the values or the range allowed). The core checks
// an endpoint's YAML node against the table before the factory runs: unknown
// keys (with the nearest valid name), wrong types, missing required options,
// values not in `one_of` and values outside [min, max] are config errors with
// file:line:col. The factory then reads typed values; it never sees YAML, and
// need not re-check what the table says.
#pragma once

#include <araldo/error.hpp>
#include <araldo/export.hpp>
#include <araldo/units.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace araldo {

enum class option_type {
    string,
    boolean,
    integer,
    duration,       // "250ms", "5s", ...
    size,           // 1024, "64KiB", ...
    string_list,    // a sequence of strings; a single scalar is a one-element list
    duration_list,  // a sequence of durations
    string_map,     // a mapping of string to string (e.g. extra headers)
    object,         // a nested mapping validated against `fields`
    object_list,    // a sequence of mappings, each validated against `fields`
};

ARALDO_EXPORT std::string_view to_string(option_type t) noexcept;

struct option_spec {
    std::string name;
    option_type type = option_type::string;
    // Written as it would be in YAML ("5s", "true", "[a, b]"); nullopt: no default.
    std::optional<std::string> default_value{};
    std::string description{};
    bool required = false;
    std::vector<option_spec> fields{};  // for option_type::object and object_list
    // string and string_list (each element): the only values accepted, matched
    // exactly. Empty: any value.
    std::vector<std::string> one_of{};
    // integer, duration, size and duration_list (each element): inclusive
    // bounds, written as in YAML ("1", "1ms", "64KiB") and parsed by the core
    // as the option's type. The loader refuses a plugin whose table has a
    // bound that does not parse, min above max, or a default outside them.
    std::optional<std::string> min{};
    std::optional<std::string> max{};
};

using option_table = std::vector<option_spec>;

class options;
using string_pairs = std::vector<std::pair<std::string, std::string>>;

// Validated, typed option values. Values come from YAML (after ${VAR}
// substitution) or from the table's defaults.
class ARALDO_EXPORT options {
public:
    using value = std::variant<std::monostate, bool, std::int64_t, std::string, araldo::duration, std::uint64_t,
                               std::vector<std::string>, std::vector<araldo::duration>, string_pairs,
                               std::shared_ptr<const options>, std::vector<std::shared_ptr<const options>>>;

    options() = default;
    explicit options(source_mark where) : where_(std::move(where)) {}

    // True when the option was written in the config or has a default.
    bool has(std::string_view name) const;
    // True when the option was written in the config (not a default).
    bool given(std::string_view name) const;

    // Typed getters. Asking for an option the table does not declare, or with
    // the wrong type, is a programming error: std::logic_error.
    const std::string& string(std::string_view name) const;
    bool boolean(std::string_view name) const;
    std::int64_t integer(std::string_view name) const;
    araldo::duration duration(std::string_view name) const;
    std::uint64_t size(std::string_view name) const;
    const std::vector<std::string>& string_list(std::string_view name) const;
    const std::vector<araldo::duration>& duration_list(std::string_view name) const;
    const string_pairs& string_map(std::string_view name) const;
    const options& object(std::string_view name) const;
    // Each element's options know where the element was written (where()).
    const std::vector<std::shared_ptr<const options>>& object_list(std::string_view name) const;

    // Where an option was written (or where its parent mapping is, for a default).
    source_mark mark(std::string_view name) const;
    const source_mark& where() const noexcept { return where_; }

    // Throws a config_error pointing at the option: for checks a table cannot
    // express (a URL's scheme, two options that exclude each other).
    [[noreturn]] void fail(std::string_view name, std::string what, std::string hint = {}) const;

    // Used by the core's validator.
    void set(std::string name, value v, source_mark mark, bool given);

private:
    struct ARALDO_HIDDEN entry {
        value v;
        source_mark mark;
        bool given = false;
    };
    ARALDO_HIDDEN const entry& find(std::string_view name) const;
    template <class T>
    ARALDO_HIDDEN const T& get(std::string_view name) const;

    source_mark where_;
    std::map<std::string, entry, std::less<>> entries_;
};

}  // namespace araldo
