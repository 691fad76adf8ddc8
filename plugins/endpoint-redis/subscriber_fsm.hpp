// The protocol logic of endpoint-redis's connections, sans-I/O (as Boost.Redis
// does it): the connection code feeds replies in and acts on what comes out.
//
// connection_setup: AUTH, SELECT and PING sent first on every (re)connect,
// and the check of their replies.
// subscriber_fsm: SUBSCRIBE/PSUBSCRIBE, their confirmations, and the
// message/pmessage pushes that follow.
#pragma once

#include "redis_url.hpp"
#include "resp.hpp"

#include <araldo/result.hpp>

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace araldo::plugins::endpoint_redis {

class connection_setup {
public:
    explicit connection_setup(const redis_address& address);

    // AUTH and SELECT as needed, then PING, to send right after connecting.
    const std::string& commands() const noexcept { return commands_; }
    bool done() const noexcept { return pending_.empty(); }

    // Checks the reply to the oldest setup command; fails with why the setup
    // failed ("authentication failed: WRONGPASS ...").
    araldo::result<> on_reply(const resp_value& reply);
    // Restarts for a new connection.
    void reset();

private:
    enum class step { auth, select, ping };
    std::string commands_;
    std::vector<step> steps_;
    std::vector<step> pending_;  // in reverse: back() is the next reply's command
};

struct subscriber_event {
    enum class kind {
        none,        // nothing for the connection to do (a confirmation while others are pending)
        subscribed,  // every requested channel and pattern is confirmed
        message,     // a message from a channel or a pattern
        failed,      // an error reply or an unexpected one: the connection should be dropped
    };
    kind what = kind::none;
    std::string channel;
    std::string pattern;  // set for pmessage
    std::string payload;  // the message, or why the subscription failed
};

class subscriber_fsm {
public:
    subscriber_fsm(std::vector<std::string> channels, std::vector<std::string> patterns);

    // Commands to send after the connection setup; every subscription is
    // pending again until confirmed.
    std::string start();
    bool subscribed() const noexcept { return pending_channels_.empty() && pending_patterns_.empty(); }

    // One reply read from the subscriber connection (after the setup replies).
    subscriber_event on_reply(resp_value reply);

    const std::vector<std::string>& channels() const noexcept { return channels_; }
    const std::vector<std::string>& patterns() const noexcept { return patterns_; }

private:
    subscriber_event confirm(std::set<std::string>& pending, const resp_value& name);

    std::vector<std::string> channels_;
    std::vector<std::string> patterns_;
    std::set<std::string> pending_channels_;
    std::set<std::string> pending_patterns_;
};

}  // namespace araldo::plugins::endpoint_redis
