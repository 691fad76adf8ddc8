#include "http_endpoint.hpp"

#include <araldo/log_rate.hpp>

#include "http_body.hpp"

#include <araldo/folder.hpp>
#include <araldo/signing.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <stdexcept>

namespace araldo::plugins::endpoint_http {

namespace {

// The statuses this endpoint answers itself; the listener's own refusals
// (404, 405, 413) never reach it.
constexpr unsigned answered[] = {202, 400, 401, 403, 415, 503};

// How long a sender should wait after a durable target refused a message
// (its queue was full or it was stopping): long enough for a queue to drain.
constexpr std::string_view retry_after_seconds = "5";

std::vector<std::string> methods_of(http_mode mode) {
    if (mode == http_mode::request) return {"GET", "POST", "PUT", "DELETE"};
    return {"POST"};
}

}  // namespace

http_endpoint::http_endpoint(araldo::endpoint_context& ctx, http_settings settings)
    : ctx_(ctx),
      settings_(std::move(settings)),
      credentials_(settings_.tokens, settings_.basic, settings_.client_certs, settings_.keys_file.has_value()),
      stopped_(ctx.executor()) {
    for (unsigned status : answered) count(status, 0);
    if (settings_.mode == http_mode::request) make_request_metrics();
    if (settings_.keys_file) {
        key_reload_failures_ = &araldo::endpoint_counter(ctx_, "araldo_keys_reload_failures_total",
                                                         "reloads of the keys file that failed (the keys loaded "
                                                         "before stayed in use)");
        araldo::endpoint_gauge(ctx_, "araldo_keys_active", "keys of the keys file that are not revoked", [this] {
            return keys_ && keys_->current() ? static_cast<double>(keys_->current()->active_count()) : 0.0;
        });
    }
    warn_if_exposed();
}

http_endpoint::~http_endpoint() {
    tally_->late = nullptr;
    tally_->log = nullptr;
}

void http_endpoint::register_route() {
    http_route route;
    route.path = settings_.path;
    route.prefix = true;
    route.methods = methods_of(settings_.mode);
    route.max_body = settings_.max_body;
    // The core keeps the endpoint alive as long as the listener, so `this` stays valid.
    if (settings_.mode == http_mode::request)
        route.handler = [this](http_request req) { return handle_request(std::move(req)); };
    else
        route.handler = [this](http_request req) { return handle(std::move(req)); };
    ctx_.http().add(std::move(route));
}

void http_endpoint::warn_if_exposed() const {
    if (credentials_.required() || verifies_signatures()) return;
    const std::string& bind = ctx_.global().bind;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(bind, ec);
    if (bind == "localhost" || (!ec && address.is_loopback())) return;
    ctx_.log().warn("{} accepts messages from anyone who can reach {}: configure auth or verify-signature",
                    settings_.path, bind);
}

void http_endpoint::start() {
    if (!settings_.keys_file) return;
    araldo::key_watch_settings watch;
    watch.failures = key_reload_failures_;
    keys_ = std::make_unique<araldo::key_file_watch>(ctx_.executor(), *settings_.keys_file, ctx_.log(),
                                                     araldo::key_file_watch::change_handler{}, watch);
    keys_->start();
}

asio::awaitable<void> http_endpoint::run() {
    const std::string_view base = settings_.path == "/" ? std::string_view{} : std::string_view{settings_.path};
    if (settings_.mode == http_mode::request)
        ctx_.log().info("accepting requests on {}/{}<noun>//<args> (timeout {} ms, at most {} at once)", base,
                        settings_.peer_in_path ? "<peer>/" : "",
                        std::chrono::duration_cast<std::chrono::milliseconds>(settings_.timeout).count(),
                        settings_.max_in_flight);
    else
        ctx_.log().info("accepting POST on {} (and {}/<{}>)", settings_.path, base,
                        settings_.suffix == path_suffix::folder ? "folder" : "type");
    while (!stopping_) {
        co_await stopped_.wait();
    }
    if (settings_.mode == http_mode::request) co_await drain_waiting();
}

delivery_result http_endpoint::deliver(const message_ptr&) {
    if (araldo::worth_logging(++deliveries_dropped_)) {
        ctx_.log().warn(
            "a route delivers to this endpoint, which only receives: dropping (reason ingress_only) "
            "({} so far)",
            deliveries_dropped_);
    }
    return delivery_result::dropped("ingress_only");
}

void http_endpoint::stop() {
    stopping_ = true;
    if (keys_) keys_->stop();
    stopped_.notify();
}

asio::awaitable<http_response> http_endpoint::handle(http_request req) {
    http_response r = serve(req);
    count(r.status);
    co_return r;
}

std::optional<http_response> http_endpoint::admit(const http_request& req,
                                                std::shared_ptr<const araldo::key_store>& keys,
                                                const araldo::key_entry*& key, message::fields& f) {
    if (stopping_) return refused(req, 503, "shutting down");
    // Kept for the whole request: a reload replaces the store, not this one.
    keys = keys_ ? keys_->current() : nullptr;
    if (auto denied = authenticate(req, keys.get(), key)) return denied;
    if (verifies_signatures()) {
        f.id = req.header("webhook-id").value_or("");
        // The SDK's one rule, so that the admin API can address every id accepted here.
        if (!araldo::valid_message_id(f.id))
            return refused(req, 400, "webhook-id must be 1 to 128 letters, digits, '-', '.', '_' or '~'");
    }
    return std::nullopt;  // f.id empty: the core makes a new one
}

std::optional<http_response> http_endpoint::add_sender(const http_request& req, const araldo::key_entry* key,
                                                       message::fields& f) {
    f.attributes.set("http.path", req.path);
    f.attributes.set("http.remote", req.remote_address);
    // The caller's attributes win over the marshaller's: a body cannot change a verified peer's names.
    if (req.tls) {
        for (auto& [name, value] : araldo::tls_attributes(*req.tls)) f.attributes.set(name, std::move(value));
    }
    if (key) return address_by_key(req, *key, f);
    return std::nullopt;
}

http_response http_endpoint::serve(http_request& req) {
    std::shared_ptr<const araldo::key_store> keys;
    const araldo::key_entry* key = nullptr;
    message::fields f;
    if (auto denied = admit(req, keys, key, f)) return std::move(*denied);
    // The signature has been checked: the body is not needed as it came any more.
    auto body = extract_payload(req.header("content-type"), std::move(req.body));
    if (!body) return refused(req, refusal_status(req.header("content-type")), body.reason());
    auto folder = folder_of(req);
    if (!folder) {
        if (araldo::worth_logging(++bad_folders_))
            ctx_.log().warn("400 for {} from {}: {} ({} so far)", req.target, req.remote_address, folder.reason(),
                            bad_folders_);
        return refused(req, 400, folder.reason());
    }
    f.payload = std::move(body).value();
    // What the sender put in the URL overrides what the marshaller lifts.
    if (auto type = type_of(req)) f.attributes.set("type", std::move(*type));
    if (folder.value()) f.attributes.set(std::string(araldo::folder_attribute), std::move(*folder.value()));
    if (auto peer = link_peer_of(req)) f.attributes.set("link.peer", std::move(*peer));
    if (auto denied = add_sender(req, key, f)) return std::move(*denied);
    // The core unmarshals, counts and logs a rejection, and routes.
    ingest_result result = ctx_.ingest(std::move(f));
    if (!result) return refused(req, 400, result.error);
    if (!result.refused_by.empty()) return retry_later(req, result);
    ctx_.log().debug("{} {} from {}: 202 id={} type={}", req.method, req.target, req.remote_address, result.msg->id(),
                     result.msg->type());
    return accepted(result.msg);
}

// 202 promises that every durable target (a webhook queue, a spool) took the
// message. When one could not, the sender must learn it and try again: the
// message may still have reached the live targets, which is why a retried
// message keeps its webhook-id (receivers de-duplicate on it).
http_response http_endpoint::retry_later(const http_request& req, const ingest_result& result) {
    ++retry_later_;
    if (araldo::worth_logging(retry_later_)) {
        ctx_.log().warn("503 for {} from {}: {} could not take message {} ({} so far)", req.target, req.remote_address,
                        result.refused_by, result.msg->id(), retry_later_);
    }
    http_response r = http_response::error(503, result.refused_by + " cannot take the message now; retry later");
    r.headers.emplace_back("Retry-After", std::string(retry_after_seconds));
    return r;
}

std::optional<http_response> http_endpoint::authenticate(const http_request& req, const araldo::key_store* keys,
                                                         const araldo::key_entry*& key) {
    const auto credentials = credentials_.check(req.header("authorization"), req.tls.get(), keys);
    if (credentials) key = credentials.value();
    std::string reason = credentials.reason();
    if (credentials && verifies_signatures()) {
        const auto verdict = verify_standard_webhook(
            settings_.signing_keys, req.header("webhook-id"), req.header("webhook-timestamp"), req.body,
            req.header("webhook-signature"), std::chrono::system_clock::now(), settings_.signature_tolerance);
        reason = verdict.reason();
    }
    if (reason.empty()) return std::nullopt;
    ++unauthorized_;
    if (araldo::worth_logging(unauthorized_))
        ctx_.log().warn("401 for {} from {}: {} ({} so far)", req.target, req.remote_address, reason, unauthorized_);
    http_response r = refused(req, 401, reason);
    for (auto& challenge : credentials_.challenges()) r.headers.emplace_back("WWW-Authenticate", std::move(challenge));
    return r;
}

// The folder a message sent with a key names is checked before it is routed:
// from the request, or else from the body, which is unmarshalled here for
// that (and not again by the core). A body the marshaller refuses is left to
// ingest(), which counts and answers it as for any sender.
std::optional<http_response> http_endpoint::address_by_key(const http_request& req, const araldo::key_entry& key,
                                                           message::fields& f) {
    f.attributes.set(std::string(araldo::identity_attribute), key.identity.name);
    std::optional<std::string> folder;
    if (auto named = f.attributes.get(araldo::folder_attribute)) folder = std::string(*named);
    if (!folder) {
        araldo::attributes lifted;
        bool valid = false;
        try {
            valid = ctx_.marshalling().unmarshal(f.payload, f.binary, lifted).ok;
        } catch (...) {
            valid = false;  // ingest() runs it again inside the core's boundary, which records the fault
        }
        if (!valid) return std::nullopt;
        for (const auto& [name, value] : lifted)
            if (!f.attributes.contains(name)) f.attributes.set(name, value);
        f.format = &ctx_.marshalling();
        if (auto named = f.attributes.get(araldo::folder_attribute)) folder = std::string(*named);
    }
    if (!folder) {
        if (!key.identity.folder.empty()) f.attributes.set(std::string(araldo::folder_attribute), key.identity.folder);
        return std::nullopt;
    }
    if (key.identity.may_write(*folder)) return std::nullopt;
    if (araldo::worth_logging(++forbidden_))
        ctx_.log().warn("403 for {} from {}: key {} ({}) may not write to {} ({} so far)", req.target,
                        req.remote_address, key.id, key.identity.name, *folder, forbidden_);
    return refused(req, 403, key.identity.name + " may not write to the folder " + *folder);
}

// For a link hub (endpoint-link): the one client an event goes to.
std::optional<std::string> http_endpoint::link_peer_of(const http_request& req) const {
    if (auto q = req.query_param("peer"); q && !q->empty()) return q;
    if (auto h = req.header("araldo-link-peer"); h && !h->empty()) return std::string(*h);
    return std::nullopt;
}

std::optional<std::string> http_endpoint::type_of(const http_request& req) const {
    if (auto q = req.query_param("type"); q && !q->empty()) return q;
    if (settings_.suffix != path_suffix::type) return std::nullopt;
    std::string_view rest = suffix_of(req);
    if (rest.starts_with('/')) rest.remove_prefix(1);
    if (rest.empty()) return std::nullopt;
    return std::string{rest};
}

// The URL says it first, then the header; the path only on an endpoint whose
// paths name folders. What the body's "folder" says comes last (the core lets
// the endpoint's attributes win over the marshaller's).
araldo::result<std::optional<std::string>> http_endpoint::folder_of(const http_request& req) const {
    using answer = araldo::result<std::optional<std::string>>;
    std::optional<std::string> folder;
    std::string_view where;
    // In request mode the query is the request's own, for its responder.
    auto q = settings_.mode == http_mode::emit ? req.query_param("folder") : std::nullopt;
    if (q && !q->empty()) {
        folder = std::move(q);
        where = "?folder=";
    } else if (auto h = req.header("araldo-folder"); h && !h->empty()) {
        folder = std::string(*h);
        where = "the Araldo-Folder header";
    } else if (settings_.suffix == path_suffix::folder && !suffix_of(req).empty()) {
        folder = std::string(suffix_of(req));
        where = "the path";
    }
    if (!folder) return answer::ok(std::nullopt);
    if (auto valid = araldo::valid_folder(*folder); !valid)
        return answer::fail("invalid folder in " + std::string(where) + ": " + valid.reason());
    return answer::ok(std::move(folder));
}

std::string_view http_endpoint::suffix_of(const http_request& req) const {
    const std::string_view base = settings_.path == "/" ? std::string_view{} : std::string_view{settings_.path};
    return std::string_view{req.path}.substr(std::min(base.size(), req.path.size()));
}

http_response http_endpoint::accepted(const message_ptr& msg) {
    return http_response::json(202, "{\"id\":\"" + msg->id() + "\",\"message\":\"ok\"}");
}

http_response http_endpoint::refused(const http_request& req, unsigned status, std::string_view reason) {
    ctx_.log().debug("{} {} from {}: {} {}", req.method, req.target, req.remote_address, status, reason);
    return http_response::error(status, reason);
}

void http_endpoint::count(unsigned status, std::uint64_t n) {
    for (auto& [s, c] : by_status_) {
        if (s == status) {
            c->inc(n);
            return;
        }
    }
    auto& c =
        araldo::endpoint_counter(ctx_, "araldo_http_requests_total", "requests answered by an endpoint-http, by status",
                                 {{"status", std::to_string(status)}});
    by_status_.emplace_back(status, &c);
    c.inc(n);
}

std::unique_ptr<araldo::endpoint> make_http_endpoint(araldo::endpoint_context& ctx) {
    const araldo::options& opts = ctx.opts();
    auto ep = std::make_unique<http_endpoint>(ctx, read_http_settings(opts, &ctx.global()));
    try {
        ep->register_route();
    } catch (const std::invalid_argument& e) {
        opts.fail("path", std::string("cannot register on the listener: ") + e.what(),
                  "each endpoint-http needs a path of its own");
    }
    return ep;
}

}  // namespace araldo::plugins::endpoint_http
