// Request and reply: a message that expects one answer.
//
// An ingress that waits for an answer (endpoint-http in request mode, a link
// carrying a request from the far side) puts a reply_path on the message it
// makes (message::fields::reply_to). The message is routed as any other;
// the endpoint that answers it (a responder) calls msg.reply_to()->answer().
// The answer travels back the way the request came: each hop that carried
// the request keeps the original reply_path and answers it when the answer
// comes back, so a request can cross links and relays.
//
//     // an ingress
//     auto path = araldo::reply_path::make(deadline, [state](araldo::reply r) { state->done(std::move(r)); });
//     // a responder, in deliver()
//     if (const auto& to = msg->reply_to()) to->answer(araldo::reply::json(200, R"({"ok":true})"));
//
// Rules:
// - The first answer wins; later ones are ignored (answer() returns false).
// - A reply_path destroyed unanswered (every holder of the message dropped
//   it: no route, a full queue, a target that does not answer requests)
//   answers itself with no_responder(): the waiting side learns at once that
//   nobody will answer, instead of waiting for the deadline.
// - The deadline is the originator's: it answers 504 itself when it passes
//   (an answer after that is ignored). Hops use deadline() to give up on
//   their own bookkeeping.
// - The handler runs on the core thread, inline in answer() or in the
//   destructor: it must be quick, must not throw, and must not assume the
//   caller's state is still intact (post work that does I/O).
//
// What the request asks is carried in attributes (request_attributes below)
// and the payload (the body), so routes, filters, marshallers and links need
// nothing new to carry it.
#pragma once

#include <araldo/export.hpp>
#include <araldo/message.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo {

// The answer to a request, shaped as an HTTP response because that is where
// most requests come from and go back to.
struct reply {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    // The responder's own return code: 0 is success. Sent back to HTTP
    // callers as X-Event-Return-Code.
    int return_code = 0;

    static reply json(unsigned status, std::string body, int return_code = 0);
    // 502, return code `return_code` (non-zero), and the body
    // {"exception": {"message": <what>, "class": <cls>}}: a responder that
    // failed, forwarded rather than hidden.
    ARALDO_EXPORT static reply exception(std::string_view what, std::string_view cls, int return_code = 1);
    // {"error": <why>, "status": <status>} with return code -1: araldo itself
    // could not get an answer (503 no responder or no link, 504 deadline).
    ARALDO_EXPORT static reply error(unsigned status, std::string_view why);
};

inline reply reply::json(unsigned status, std::string body, int return_code) {
    return reply{status, "application/json", std::move(body), return_code};
}

class ARALDO_EXPORT reply_path {
public:
    using clock = std::chrono::steady_clock;
    using handler = std::function<void(reply)>;

    // Use make(): a reply_path is shared by the messages that carry it.
    reply_path(clock::time_point deadline, handler on_reply);
    ~reply_path();
    reply_path(const reply_path&) = delete;
    reply_path& operator=(const reply_path&) = delete;

    static std::shared_ptr<reply_path> make(clock::time_point deadline, handler on_reply);

    clock::time_point deadline() const noexcept { return deadline_; }
    bool answered() const noexcept { return answered_; }
    // True before the first answer: the handler runs and true is returned.
    bool answer(reply r);

    // What the destructor answers when nobody did.
    static reply no_responder();

private:
    clock::time_point deadline_;
    handler on_reply_;
    bool answered_ = false;
};

// The attributes of a request message. The payload is the request's body.
namespace request_attributes {
inline constexpr std::string_view method = "request.method";  // GET, POST, PUT, DELETE
inline constexpr std::string_view noun = "request.noun";      // "time", "files/report": '/'-joined, decoded
inline constexpr std::string_view args = "request.args";      // a JSON array of strings
inline constexpr std::string_view query = "request.query";    // raw, without '?'
inline constexpr std::string_view content_type = "request.content-type";
}  // namespace request_attributes

// A request, read back from a message's attributes and payload.
struct ARALDO_EXPORT request_view {
    std::string method;
    std::string noun;
    std::vector<std::string> args;
    std::string query;
    std::string content_type;
    std::string_view body;  // the message's payload; valid while the message lives

    // "get_time", "post_files_report": the lower-case method, '_', and the
    // noun with '/' as '_'. What a responder dispatches on.
    std::string handler_name() const;
    // First query parameter with this name, percent-decoded.
    std::optional<std::string> query_param(std::string_view name) const;
};

// Writes a request's attributes (method, noun, args, query, content type),
// and `type`: the handler name, for routes that filter by type.
ARALDO_EXPORT void set_request_attributes(attributes& attrs, std::string_view method, std::string_view noun,
                                          const std::vector<std::string>& args, std::string_view query,
                                          std::string_view content_type);

// Nullopt when the message carries no request.method; malformed args (not a
// JSON array of strings) read as none.
ARALDO_EXPORT std::optional<request_view> read_request(const message& msg);

// A responder's table: handlers by handler_name(). deliver() answers a
// request message with the handler's reply, a handler's exception with
// reply::exception (its class demangled), an unknown name with 404 and a
// message that expects no reply not at all (false).
//
//     araldo::request_dispatch d;
//     d.on("get_time", [](const araldo::request_view&) { return araldo::reply::json(200, "{...}"); });
//     ... in deliver(): d.deliver(*msg);
class ARALDO_EXPORT request_dispatch {
public:
    using handler = std::function<reply(const request_view&)>;

    void on(std::string name, handler h);
    // True when the message was a request and got its answer.
    bool deliver(const message& msg) const;
    // The reply a request gets, without answering it.
    reply respond(const request_view& req) const;

private:
    std::vector<std::pair<std::string, handler>> handlers_;
};

}  // namespace araldo
