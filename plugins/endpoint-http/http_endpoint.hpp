// endpoint-http: an ingress-only endpoint. In emit mode, POSTs on `path`
// (and `path/<type>` or `path/<folder>`) of the core listener become
// messages; the reply carries the message id. In request mode, a request on
// `path/<noun>//<args>` becomes a request message and the HTTP response is
// the reply a responder sends back (request_mode.cpp). The listener has
// already answered 404/405/413 by the time a request reaches the handler, and
// read the body within max-body-size.
#pragma once

#include "http_auth.hpp"
#include "http_options.hpp"

#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/http.hpp>
#include <araldo/keys.hpp>
#include <araldo/metrics.hpp>
#include <araldo/request.hpp>
#include <araldo/result.hpp>
#include <araldo/wakeup.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace araldo::plugins::endpoint_http {

class reply_slot;

inline constexpr std::string_view plugin_id = "endpoint-http";

// Owned by the core; keeps a reference to its context, which outlives it.
class http_endpoint final : public araldo::endpoint {
public:
    http_endpoint(araldo::endpoint_context& ctx, http_settings settings);
    ~http_endpoint() override;

    // Adds the route to the core listener; std::invalid_argument when the path is taken.
    void register_route();

    // Loads the keys file (if any) and starts watching it.
    void start() override;
    asio::awaitable<void> run() override;
    // Ingress only: every delivery is refused with "ingress_only".
    delivery_result deliver(const message_ptr& msg) override;
    void stop() override;

private:
    // What became of a request in request mode (araldo_http_request_results_total).
    enum class request_result : std::size_t { ok, timeout, no_responder, rejected, overloaded };

    asio::awaitable<http_response> handle(http_request req);
    // Consumes the request's body.
    http_response serve(http_request& req);
    // Both modes: refuses while stopping, checks credentials and the
    // signature (its webhook-id becomes f.id). `key` is then the key that let
    // the request in, if one did, valid while `keys` is held.
    std::optional<http_response> admit(const http_request& req, std::shared_ptr<const araldo::key_store>& keys,
                                       const araldo::key_entry*& key, message::fields& f);
    // Both modes: the attributes of the sender (http.*, tls.*), then the
    // key's identity and folder rule.
    std::optional<http_response> add_sender(const http_request& req, const araldo::key_entry* key,
                                            message::fields& f);
    // Request mode (request_mode.cpp).
    asio::awaitable<http_response> handle_request(http_request req);
    asio::awaitable<http_response> answer_request(http_request& req);
    std::optional<http_response> request_fields(http_request& req, message::fields& f);
    http_response to_response(araldo::reply r);
    http_response made_here(const http_request& req, request_result result, unsigned status, std::string_view why);
    void count_result(request_result r) { results_[static_cast<std::size_t>(r)]->inc(); }
    void make_request_metrics();
    asio::awaitable<void> drain_waiting();
    // 401 with the challenges of the configured schemes, or empty when the
    // request is allowed in; `key` is then the key that let it in, if one did.
    std::optional<http_response> authenticate(const http_request& req, const araldo::key_store* keys,
                                              const araldo::key_entry*& key);
    // A message sent with a key: its identity, and a folder the key may
    // write (the one named, else the key's own), or a 403.
    std::optional<http_response> address_by_key(const http_request& req, const araldo::key_entry& key,
                                                message::fields& f);
    std::optional<std::string> type_of(const http_request& req) const;
    std::optional<std::string> link_peer_of(const http_request& req) const;
    // The folder the request names (none: nullopt), or why it is not one.
    araldo::result<std::optional<std::string>> folder_of(const http_request& req) const;
    // The request's path below `path`, from its '/' on (empty: none).
    std::string_view suffix_of(const http_request& req) const;
    http_response accepted(const message_ptr& msg);
    http_response retry_later(const http_request& req, const ingest_result& result);
    http_response refused(const http_request& req, unsigned status, std::string_view reason);
    // n = 0 only makes the series, so /metrics lists it before the first request.
    void count(unsigned status, std::uint64_t n = 1);
    void warn_if_exposed() const;
    bool verifies_signatures() const noexcept { return !settings_.signing_keys.empty(); }

    araldo::endpoint_context& ctx_;
    http_settings settings_;
    credential_check credentials_;
    std::unique_ptr<araldo::key_file_watch> keys_;  // from start(), with keys-file
    araldo::counter* key_reload_failures_ = nullptr;
    araldo::wakeup stopped_;  // run() waits on it until stop()
    bool stopping_ = false;
    std::uint64_t deliveries_dropped_ = 0;  // for the warning rate limit

    std::vector<std::pair<unsigned, araldo::counter*>> by_status_;  // araldo_http_requests_total
    std::uint64_t unauthorized_ = 0;                                // 401s so far, to rate-limit their warnings
    std::uint64_t retry_later_ = 0;                                 // 503s for a durable refusal, likewise
    std::uint64_t bad_folders_ = 0;                                 // 400s for a folder, likewise
    std::uint64_t forbidden_ = 0;                                   // 403s for a key's folder, likewise

    // Request mode. What a handler suspended on its reply, or a reply_path
    // that a responder still holds, touches: both may outlive the endpoint
    // (the core destroys endpoints one by one), which detaches it in its destructor.
    struct request_tally {
        std::size_t in_flight = 0;        // handlers in request mode
        std::list<reply_slot*> waiting;   // of those, the ones awaiting their reply: drained at stop
        araldo::counter* late = nullptr;
        spdlog::logger* log = nullptr;
        void count_late() noexcept;
    };
    std::array<araldo::counter*, 5> results_{};  // by request_result
    std::shared_ptr<request_tally> tally_ = std::make_shared<request_tally>();
    std::uint64_t own_5xx_ = 0;     // 503s and 504s araldo made itself, to rate-limit their warnings
};

// The factory: reads the options, builds the endpoint and registers its route.
std::unique_ptr<araldo::endpoint> make_http_endpoint(araldo::endpoint_context& ctx);

}  // namespace araldo::plugins::endpoint_http
