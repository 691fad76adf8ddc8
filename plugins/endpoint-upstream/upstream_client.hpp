// The HTTP/1.1 client of one upstream endpoint, in plain types: the only
// place that includes Beast and knows whether the stream is TLS.
//
// Slots are connections: a request in progress owns one slot (the endpoint
// hands them out, at most max-connections), opens its connection on first
// use and keeps it alive for the next request that gets the slot.
#pragma once

#include "upstream_options.hpp"
#include "upstream_request.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

namespace araldo::plugins::endpoint_upstream {

namespace asio = boost::asio;

class upstream_client {
public:
    using clock = std::chrono::steady_clock;

    // Reads no file: --check constructs endpoints and never starts them.
    upstream_client(asio::any_io_executor ex, base_url url, string_pairs headers, std::size_t slots,
                    std::uint64_t max_response_body);
    ~upstream_client();
    upstream_client(const upstream_client&) = delete;
    upstream_client& operator=(const upstream_client&) = delete;

    // https: makes the SSL context from url.tls_files, before the first send.
    // Throws std::runtime_error naming the file that cannot be loaded and why.
    void load_tls();

    // Sends `call` with `body` on the slot's connection and reads the whole
    // response by `deadline` (a reconnect included). `body` must stay valid
    // until the result. Never throws for I/O errors: they are in the result.
    asio::awaitable<upstream_outcome> send(std::size_t slot, const upstream_call& call, std::string_view body,
                                           clock::time_point deadline);

    // Connections open now, kept alive or in use.
    std::size_t open_connections() const;
    // Connections opened since start (a reused one is not counted again).
    std::uint64_t connections_opened() const;

    // Closes every connection; sends in progress end with an error.
    void close_all();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace araldo::plugins::endpoint_upstream
