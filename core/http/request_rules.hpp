// What the listener decides from a request's header alone, before any body is
// read: the request handlers see, the route it goes to, and the refusals.
// Private to core/http.
#pragma once

#include "http/listener_session.hpp"
#include "http/reply_writer.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace araldo::detail {

using header_parser = boost::beast::http::request_parser<boost::beast::http::empty_body>;

// The handlers' view of a request; nullopt for a target that is malformed.
std::optional<http_request> make_request(const header_parser& hp, const std::string& remote);

bool is_websocket_upgrade(const header_parser& hp);
bool has_transfer_encoding(const header_parser& hp);
// True when bytes of a body follow the header (or may: a Transfer-Encoding
// that is not chunked); false for no length at all, which is an empty body.
bool has_body(const header_parser& hp);
bool expects_continue(const header_parser& hp);
reply_to reply_of(const header_parser& hp);

// The longest matching route served on `listener`, or null.
std::shared_ptr<const http_route> find_route(const listener_state& st, std::string_view path,
                                             const std::string& listener);
std::shared_ptr<const upgrade_route> find_upgrade(const listener_state& st, std::string_view path,
                                                  const std::string& listener);

// 404, 405, 413 and 400 (unknown length), decided from the header alone: the body is never read.
std::optional<http_response> refuse(const http_route* route, const http_request& req, const header_parser& hp);

// 426 (with Upgrade: websocket) for a request that is not an upgrade, on a
// path only an upgrade route serves; `route` is what find_route() chose.
std::optional<http_response> upgrade_required(const listener_state& st, const http_route* route,
                                              const http_request& req);  // on req.listener

}  // namespace araldo::detail
