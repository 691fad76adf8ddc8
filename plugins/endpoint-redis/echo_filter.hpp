// Recognising this endpoint's own messages when Redis sends them back.
//
// A payload published to a channel the endpoint also subscribes to (directly
// or through patterns) comes back once per matching subscription. The filter
// remembers, for a short window, a hash of each channel and payload it
// published and how many copies Redis will return, and suppresses exactly
// that many inbound copies of that payload on that channel. The same payload
// published by anyone else is not suppressed beyond that count, so it still
// arrives: see docs/scaling.md. The channel is part of the key because a
// templated publish channel differs from message to message.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace araldo::plugins::endpoint_redis {

// Redis's glob (the PSUBSCRIBE syntax): * ? [abc] [^a] [a-z] and \ escapes.
bool redis_glob_match(std::string_view pattern, std::string_view text);

// How many copies of a message published on `channel` a connection with these
// subscriptions receives: one per matching channel or pattern.
unsigned copies_received(std::string_view channel, const std::vector<std::string>& channels,
                         const std::vector<std::string>& patterns);

class echo_filter {
public:
    using clock = std::chrono::steady_clock;

    echo_filter(clock::duration window, std::size_t capacity);

    // Called when `payload` is written to Redis on `channel`; `copies`:
    // copies_received() for that channel (0: none will come back).
    void published(std::string_view channel, std::string_view payload, unsigned copies, clock::time_point now);
    // Called for each inbound message: true when it is an expected copy of
    // our own (one fewer is expected afterwards).
    bool take(std::string_view channel, std::string_view payload, clock::time_point now);

    std::size_t outstanding() const noexcept { return fifo_.size(); }
    // Entries forgotten because the capacity was reached before the echo came back.
    std::uint64_t evicted() const noexcept { return evicted_; }

private:
    struct entry {
        std::uint64_t hash;
        unsigned copies;
        clock::time_point expires;
    };
    void forget_front();
    void expire(clock::time_point now);

    clock::duration window_;
    std::size_t capacity_;
    std::deque<entry> fifo_;                                // publish order, for expiry
    std::unordered_map<std::uint64_t, unsigned> expected_;  // hash -> copies still to come
    std::uint64_t evicted_ = 0;
};

}  // namespace araldo::plugins::endpoint_redis
