// An endpoint: a coroutine-driven object with a name, made by a plugin's
// factory from its validated options.
//
// Ownership: the core owns every endpoint and keeps it alive until after its
// run() has returned and the io_context has stopped. Every call happens on the
// core thread.
#pragma once

#include <araldo/export.hpp>
#include <araldo/message.hpp>
#include <araldo/options.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace araldo {

namespace asio = boost::asio;

// What deliver() did with a message. `reason` must be a string literal: it
// becomes a metric label ("queue_full", "disconnected", "stopped", ...).
//
// A durable target (one that promises delivery: a webhook queue, a spool)
// that cannot take a message says so with refused(): the ingress that accepted
// the message then tells its sender to try again later (endpoint-http answers
// 503 with Retry-After) instead of confirming it. A live target (WebSocket
// clients, Pub/Sub) uses dropped(): the sender could not do better by retrying.
struct delivery_result {
    bool accepted = true;
    std::string_view reason;
    bool durable = false;  // with !accepted: a durable target refused

    static constexpr delivery_result ok() noexcept { return {true, {}, false}; }
    static constexpr delivery_result dropped(std::string_view why) noexcept { return {false, why, false}; }
    static constexpr delivery_result refused(std::string_view why) noexcept { return {false, why, true}; }
};

class ARALDO_EXPORT endpoint {
public:
    virtual ~endpoint();

    // Lifecycle in two phases. The factory (construction) only validates and
    // prepares: it must touch no file, socket, spool or terminal, because
    // `--check`, `--list-plugins` and `--print-options` construct every
    // endpoint and never start one. start() is where effects begin: open
    // files, load and lock spools, read saved state. The core calls it once,
    // on the core thread, before the listener accepts and before any
    // deliver(); a throw refuses the start (exit 1, the reason logged).
    virtual void start() {}

    // The main loop (accept, subscribe, connect, deliver). Called after
    // start(); returns once the endpoint has stopped, after stop() or when it
    // has nothing more to do.
    virtual asio::awaitable<void> run() = 0;

    // Non-blocking hand-over from the router; never suspends, should not
    // throw (the core contains an exception: it counts it, logs it and marks
    // the endpoint unhealthy, and the message counts as dropped).
    virtual delivery_result deliver(const message_ptr& msg) = 0;

    // Begin a graceful stop: finish or persist what is queued, then let run() return.
    virtual void stop() = 0;

    // Problems for /_health/?full; empty when healthy.
    virtual std::vector<std::string> health() const { return {}; }
    // A reload changed this endpoint's options (validated against the
    // plugin's table): take them in place and return true, keeping every
    // connection and queue, or return false, having changed nothing, and the
    // core restarts the endpoint (stop(), then a new one from the factory).
    // Only for what can change without effects on the world elsewhere: auth
    // tokens, allowed origins, limits. Never called for a changed
    // `listeners:` or `marshalling:`.
    virtual bool reconfigure(const options& next) {
        (void)next;
        return false;
    }
};

}  // namespace araldo
