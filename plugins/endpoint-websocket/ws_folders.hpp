// Folder mode of endpoint-websocket (`folders: true`): the subscriptions of
// every client, the history of every folder, and the messages between them
// and the clients (ws_folder_protocol.hpp). The endpoint hands it what a
// client sends and what the routes deliver; it answers with frames pushed to
// sessions.
#pragma once

#include "ws_folder_index.hpp"
#include "ws_folder_protocol.hpp"
#include "ws_history.hpp"

#include <araldo/endpoint.hpp>
#include <araldo/metrics.hpp>

#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <string>

namespace araldo::plugins::endpoint_websocket {

class ws_endpoint;
class ws_session;

class folder_hub {
public:
    explicit folder_hub(ws_endpoint& ep);

    // A message from the routes: to the subscribers of its folder, except
    // `skip` (the client that sent it, when echo is off).
    araldo::delivery_result deliver(const araldo::message_ptr& msg, std::uint64_t skip);
    // A message from a client. Returns the marshaller's reason when the bytes
    // were rejected (the session applies on-invalid), empty otherwise.
    std::string from_client(ws_session& s, std::string payload, bool binary, araldo::attributes attrs);
    // A client was accepted: it is told who it is.
    void joined(ws_session& s);
    void left(ws_session& s) noexcept;
    // The client's rights changed (a reload of the keys file): it is
    // unsubscribed from what it may no longer read, and told so.
    void rights_changed(ws_session& s);
    void stop();

private:
    void subscribe(ws_session& s, client_request& req);
    void unsubscribe(ws_session& s, client_request& req);
    // Adds what subscription `r` missed since its points to `out`; false
    // when the history no longer holds it.
    bool resume(const ws_session& s, const subscription_request& r, folder_history::clock::time_point now,
                std::vector<const folder_history::item*>& out);
    void refuse(ws_session& s, std::string_view request, std::string_view folder, std::string_view why);
    void arm_expiry();

    ws_endpoint& ep_;
    folder_index index_;
    folder_history history_;
    boost::asio::steady_timer expiry_;
    // Requests refused, by reason: no read right (subscribe), no write right
    // (a message), max-subscriptions, a request that cannot be read.
    araldo::counter& refused_read_;
    araldo::counter& refused_write_;
    araldo::counter& refused_limit_;
    araldo::counter& refused_invalid_;
    araldo::counter& unaddressed_;  // messages from the routes without a folder: nobody hears them
    araldo::counter& resumed_;      // resume requests, by whether the history still held what was missed
    araldo::counter& not_recovered_;
    std::uint64_t refusal_warnings_ = 0, unaddressed_warnings_ = 0;
};

}  // namespace araldo::plugins::endpoint_websocket
