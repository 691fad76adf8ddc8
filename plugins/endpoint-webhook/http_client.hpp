// The outbound HTTP/1.1 client of one webhook endpoint, in plain types: the
// only place that includes Beast and knows whether the stream is TLS.
//
// One kept-alive connection per slot (a worker owns a slot), opened on first
// use and again after the receiver closed it. Response bodies are read up to
// max_response_body bytes and discarded; a longer one fails the attempt and
// closes the connection.
#pragma once

#include "outcome.hpp"
#include "webhook_options.hpp"

#include <araldo/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace araldo::plugins::endpoint_webhook {

namespace asio = boost::asio;

class http_client {
public:
    // Reads no file: --check constructs endpoints and never starts them.
    http_client(asio::any_io_executor ex, target_url url, std::size_t slots, std::uint64_t max_response_body);
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    // https: makes the SSL context from url.tls_files, before the first post.
    // Throws std::runtime_error naming the file that cannot be loaded and why.
    void load_tls();

    // POSTs `body` on the slot's connection within `timeout` (connect, write
    // and read together). Never throws for I/O errors: they are in the result.
    asio::awaitable<attempt_result> post(std::size_t slot, string_pairs headers, std::string body,
                                         araldo::duration timeout);

    // Keeps the first `bytes` of each response body in attempt_result::body_head
    // (for log-payloads); 0, the default, keeps nothing.
    void keep_response_body(std::size_t bytes);

    // Closes every connection; posts in progress end with an error.
    void close_all();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace araldo::plugins::endpoint_webhook
