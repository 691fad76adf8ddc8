#include "subscriber_fsm.hpp"

namespace araldo::plugins::endpoint_redis {

namespace {

std::string describe(const resp_value& v) {
    switch (v.type) {
        case resp_type::error: return v.str;
        case resp_type::status:
        case resp_type::string: return "'" + v.str + "'";
        case resp_type::integer: return std::to_string(v.integer);
        case resp_type::nil: return "nil";
        case resp_type::array: return "an array of " + std::to_string(v.elements.size());
    }
    return "?";
}

subscriber_event failure(std::string why) {
    subscriber_event e;
    e.what = subscriber_event::kind::failed;
    e.payload = std::move(why);
    return e;
}

bool is_bulk(const resp_value& v) { return v.type == resp_type::string; }

}  // namespace

connection_setup::connection_setup(const redis_address& address) {
    if (!address.password.empty()) {
        std::vector<std::string_view> auth{"AUTH"};
        if (!address.user.empty()) auth.push_back(address.user);
        auth.push_back(address.password);
        append_command(commands_, auth);
        steps_.push_back(step::auth);
    }
    if (address.db != 0) {
        std::string db = std::to_string(address.db);
        append_command(commands_, {"SELECT", db});
        steps_.push_back(step::select);
    }
    // Always last: proves the server answers commands, and without credentials
    // turns a server that requires them into a clear NOAUTH here rather than
    // failed PUBLISHes later.
    append_command(commands_, {"PING"});
    steps_.push_back(step::ping);
    reset();
}

void connection_setup::reset() { pending_.assign(steps_.rbegin(), steps_.rend()); }

araldo::result<> connection_setup::on_reply(const resp_value& reply) {
    using araldo::result;
    if (pending_.empty()) return result<>::fail("unexpected reply during connection setup: " + describe(reply));
    step s = pending_.back();
    pending_.pop_back();
    const char* expected = s == step::ping ? "PONG" : "OK";
    if (reply.type == resp_type::status && reply.str == expected) return result<>::ok();
    std::string why = reply.is_error() ? reply.str : "unexpected reply " + describe(reply);
    if (s == step::auth || why.starts_with("NOAUTH")) return result<>::fail("authentication failed: " + why);
    return result<>::fail((s == step::select ? "SELECT failed: " : "PING failed: ") + why);
}

subscriber_fsm::subscriber_fsm(std::vector<std::string> channels, std::vector<std::string> patterns)
    : channels_(std::move(channels)), patterns_(std::move(patterns)) {}

std::string subscriber_fsm::start() {
    pending_channels_ = {channels_.begin(), channels_.end()};
    pending_patterns_ = {patterns_.begin(), patterns_.end()};
    std::string out;
    auto add = [&out](std::string_view verb, const std::vector<std::string>& names) {
        if (names.empty()) return;
        std::vector<std::string_view> args{verb};
        args.insert(args.end(), names.begin(), names.end());
        append_command(out, args);
    };
    add("SUBSCRIBE", channels_);
    add("PSUBSCRIBE", patterns_);
    return out;
}

subscriber_event subscriber_fsm::on_reply(resp_value reply) {
    if (reply.is_error()) return failure("subscription refused: " + reply.str);
    if (!reply.is_array() || reply.elements.empty()) return failure("unexpected reply " + describe(reply));
    auto& e = reply.elements;
    const resp_value& kind = e[0];
    if (kind.is_text("message") && e.size() == 3 && is_bulk(e[1]) && is_bulk(e[2])) {
        subscriber_event m;
        m.what = subscriber_event::kind::message;
        m.channel = std::move(e[1].str);
        m.payload = std::move(e[2].str);
        return m;
    }
    if (kind.is_text("pmessage") && e.size() == 4 && is_bulk(e[1]) && is_bulk(e[2]) && is_bulk(e[3])) {
        subscriber_event m;
        m.what = subscriber_event::kind::message;
        m.pattern = std::move(e[1].str);
        m.channel = std::move(e[2].str);
        m.payload = std::move(e[3].str);
        return m;
    }
    if (e.size() == 3 && kind.is_text("subscribe")) return confirm(pending_channels_, e[1]);
    if (e.size() == 3 && kind.is_text("psubscribe")) return confirm(pending_patterns_, e[1]);
    // A PING sent on a subscribed connection answers ["pong", ""]: harmless.
    if (kind.is_text("pong")) return {};
    return failure("unexpected push " + describe(kind) + " with " + std::to_string(e.size()) + " elements");
}

subscriber_event subscriber_fsm::confirm(std::set<std::string>& pending, const resp_value& name) {
    if (!is_bulk(name) || pending.erase(name.str) == 0) {
        return failure("confirmation of a subscription never requested: " + describe(name));
    }
    subscriber_event e;
    if (subscribed()) e.what = subscriber_event::kind::subscribed;
    return e;
}

}  // namespace araldo::plugins::endpoint_redis
