// One shape for a call that can fail with a reason: a value, or why not.
// For results a caller only tests and explains (a parse, a check, a setup
// step). Results that carry more than that (delivery_result,
// ingest_result, unmarshal_result) keep their own types.
//
//     araldo::result<int> parse_port(std::string_view s);
//     auto r = parse_port(text);
//     if (!r) return araldo::result<>::fail("bad port: " + r.reason());
//     use(r.value());
//
// Header-only; the value is owned by the result.
#pragma once

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace araldo {

template <class T = void>
class result {
public:
    static result ok(T value) { return result(std::in_place, std::move(value)); }
    // `reason` says why, for a log line or the sender; a failure without one
    // reads "failed".
    static result fail(std::string reason) { return result(std::move(reason)); }

    explicit operator bool() const noexcept { return value_.has_value(); }

    // The value of a successful result; std::bad_optional_access on a failure.
    T& value() & { return value_.value(); }
    const T& value() const& { return value_.value(); }
    T&& value() && { return std::move(value_.value()); }

    // Empty on success.
    const std::string& reason() const noexcept { return reason_; }

private:
    template <class... Args>
    explicit result(std::in_place_t, Args&&... args) : value_(std::in_place, std::forward<Args>(args)...) {}
    explicit result(std::string reason) : reason_(reason.empty() ? "failed" : std::move(reason)) {}

    std::optional<T> value_;
    std::string reason_;
};

template <>
class result<void> {
public:
    static result ok() { return result(true, {}); }
    static result fail(std::string reason) { return result(false, reason.empty() ? "failed" : std::move(reason)); }

    explicit operator bool() const noexcept { return ok_; }
    const std::string& reason() const noexcept { return reason_; }

private:
    result(bool ok, std::string reason) : ok_(ok), reason_(std::move(reason)) {}

    bool ok_;
    std::string reason_;
};

}  // namespace araldo
