#include <araldo/message.hpp>
#include <araldo/request.hpp>

#include "char_classes.hpp"

#include <random>

namespace araldo {

void attributes::set(std::string key, std::string value) {
    for (auto& [k, v] : entries_) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    entries_.emplace_back(std::move(key), std::move(value));
}

std::optional<std::string_view> attributes::get(std::string_view key) const {
    for (const auto& [k, v] : entries_) {
        if (k == key) return std::string_view{v};
    }
    return std::nullopt;
}

message::message(fields f)
    : id_(f.id.empty() ? new_message_id() : std::move(f.id)),
      source_(std::move(f.source)),
      time_(f.time == clock::time_point{} ? clock::now() : f.time),
      payload_(std::move(f.payload)),
      binary_(f.binary),
      attributes_(std::move(f.attributes)),
      format_(f.format),
      reply_to_(std::move(f.reply_to)) {}

std::string_view message::type() const noexcept { return attributes_.get("type").value_or(std::string_view{}); }

bool valid_message_id(std::string_view id) noexcept {
    return !id.empty() && id.size() <= max_message_id_length && detail::all_of_class(id, detail::unreserved_chars);
}

message_ptr make_message(message::fields f) { return std::make_shared<const message>(std::move(f)); }

namespace {

// ULID layout: 48 bits of Unix milliseconds, then 80 random bits. Within one
// millisecond the random part is incremented, so ids stay strictly ordered.
struct id_state {
    std::mt19937_64 rng{std::random_device{}()};
    std::uint64_t last_ms = 0;
    std::uint16_t hi = 0;  // top 16 of the 80 random bits
    std::uint64_t lo = 0;  // low 64
};

}  // namespace

std::string new_message_id() {
    static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    static id_state state;  // one thread: the core's
    auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    if (ms == state.last_ms) {
        if (++state.lo == 0) ++state.hi;
    } else {
        state.last_ms = ms;
        state.hi = static_cast<std::uint16_t>(state.rng());
        state.lo = state.rng();
    }
    // 10 digits of time (50 bits, top 2 zero), then 16 digits of the 80 random bits.
    std::string id(26, '0');
    for (int i = 9; i >= 0; --i, ms >>= 5) id[static_cast<std::size_t>(i)] = alphabet[ms & 31u];
    std::uint64_t hi = state.hi, lo = state.lo;
    for (int i = 25; i >= 10; --i) {
        id[static_cast<std::size_t>(i)] = alphabet[lo & 31u];
        lo = (lo >> 5) | ((hi & 31u) << 59);
        hi >>= 5;
    }
    return id;
}

}  // namespace araldo
