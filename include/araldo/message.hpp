// The message: an immutable value created once at ingress and shared by
// pointer through the whole fan-out. Nothing downstream copies the payload.
#pragma once

#include <araldo/export.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace araldo {

class marshaller;
class reply_path;  // request.hpp

// A small ordered string map. Messages carry a handful of attributes, so a
// vector beats a tree or hash map in both memory and lookup time.
class ARALDO_EXPORT attributes {
public:
    using entry = std::pair<std::string, std::string>;

    // Replaces an existing value with the same key.
    void set(std::string key, std::string value);
    std::optional<std::string_view> get(std::string_view key) const;
    bool contains(std::string_view key) const { return get(key).has_value(); }
    // Room for `n` without reallocating: for a producer that knows it sets
    // many (a request has nine or more), growing one at a time moves them all
    // three or four times. Others need not: a message keeps its capacity.
    void reserve(std::size_t n) { entries_.reserve(n); }

    auto begin() const { return entries_.begin(); }
    auto end() const { return entries_.end(); }
    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }

private:
    std::vector<entry> entries_;
};

class ARALDO_EXPORT message {
public:
    using clock = std::chrono::system_clock;

    struct fields {
        std::string id;       // empty: a new id is generated
        std::string source;   // name of the endpoint that received it
        std::string payload;  // the bytes as received
        bool binary = false;  // a binary frame rather than text
        araldo::attributes attributes;
        const marshaller* format = nullptr;  // the marshaller that accepted the bytes
        clock::time_point time{};            // default: now
        // Set on a request: where its one answer goes (request.hpp).
        std::shared_ptr<reply_path> reply_to{};
    };

    explicit message(fields f);

    const std::string& id() const noexcept { return id_; }
    const std::string& source() const noexcept { return source_; }
    clock::time_point time() const noexcept { return time_; }
    std::string_view payload() const noexcept { return payload_; }
    bool binary() const noexcept { return binary_; }
    const araldo::attributes& attributes() const noexcept { return attributes_; }

    // The marshaller that decoded the payload at ingress (nullptr: none).
    // Egress through the same marshaller sends payload() as is.
    const marshaller* format() const noexcept { return format_; }

    // The "type" attribute, empty when there is none (route filters match on it).
    std::string_view type() const noexcept;

    // Set when the message is a request that expects one answer: answer it
    // through this (request.hpp). Null for every other message.
    const std::shared_ptr<reply_path>& reply_to() const noexcept { return reply_to_; }

private:
    std::string id_;
    std::string source_;
    clock::time_point time_;
    std::string payload_;
    bool binary_;
    araldo::attributes attributes_;
    const marshaller* format_;
    std::shared_ptr<reply_path> reply_to_;
};

using message_ptr = std::shared_ptr<const message>;

ARALDO_EXPORT message_ptr make_message(message::fields f);

// The one rule for message ids, enforced at every ingress: 1 to 128 of the
// characters a URL path carries unescaped (RFC 3986 "unreserved": letters,
// digits, '-', '.', '_', '~'), so an id can be logged, put in JSON and in an
// admin URL as it is. Ids araldo makes itself always pass.
inline constexpr std::size_t max_message_id_length = 128;
ARALDO_EXPORT bool valid_message_id(std::string_view id) noexcept;

// A new unique id: 26 characters, Crockford base32, sortable by creation time
// (48 bits of milliseconds, 80 bits of randomness), as ULIDs are.
ARALDO_EXPORT std::string new_message_id();

}  // namespace araldo
