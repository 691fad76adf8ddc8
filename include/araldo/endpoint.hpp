// An endpoint: a coroutine-driven object with a name, made by a plugin's
// factory from its validated options.
//
// Ownership: the core owns every endpoint and keeps it alive until after its
// run() has returned and the io_context has stopped. Every call happens on the
// core thread.
#pragma once

#include <araldo/export.hpp>
#include <araldo/message.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace araldo {

namespace asio = boost::asio;

// What deliver() did with a message. `reason` must be a string literal: it
// becomes a metric label ("queue_full", "disconnected", "stopped", ...).
struct delivery_result {
    bool accepted = true;
    std::string_view reason;

    static constexpr delivery_result ok() noexcept { return {true, {}}; }
    static constexpr delivery_result dropped(std::string_view why) noexcept { return {false, why}; }
};

class ARALDO_EXPORT endpoint {
public:
    virtual ~endpoint();

    // The main loop (accept, subscribe, connect, deliver). Returns once the
    // endpoint has stopped, after stop() or when it has nothing more to do.
    virtual asio::awaitable<void> run() = 0;

    // Non-blocking hand-over from the router; never suspends, never throws.
    virtual delivery_result deliver(const message_ptr& msg) = 0;

    // Begin a graceful stop: finish or persist what is queued, then let run() return.
    virtual void stop() = 0;

    // Problems for /_health/?full; empty when healthy.
    virtual std::vector<std::string> health() const { return {}; }
};

}  // namespace araldo
