#include "endpoint_host.hpp"

#include "http/admin_routes.hpp"
#include "logging.hpp"
#include "router.hpp"

#include <araldo/log_rate.hpp>

#include <exception>
#include <stdexcept>

namespace araldo::detail {

namespace {

class identity_marshaller final : public marshaller {
public:
    std::string_view id() const noexcept override { return "pass-through"; }
    unmarshal_result unmarshal(std::string_view, bool, attributes&) const override { return {}; }
    encoded marshal(const message_ptr& msg) const override { return pass_through(msg); }
};

// A plugin's response header with CR, LF or NUL would let a value smuggle a
// second header (or end the head early) at the client: refuse to send it.
void check_headers(const http_response& r) {
    if (!valid_header_value(r.content_type)) throw std::invalid_argument("Content-Type contains CR, LF or NUL");
    for (const auto& [name, value] : r.headers) {
        if (!valid_header_name(name)) throw std::invalid_argument("header name '" + name + "' is not a token");
        if (!valid_header_value(value)) throw std::invalid_argument("header " + name + " contains CR, LF or NUL");
    }
}

// /_admin belongs to the core's admin API, which checks the token before any
// handler runs: a plugin path there would bypass it.
void check_not_admin(const std::string& path) {
    if (path == "/_admin" || path.starts_with("/_admin/"))
        throw std::invalid_argument("path " + path + ": /_admin is the core's; add an admin_route instead");
}

}  // namespace

std::string current_exception_text() {
    try {
        throw;
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception that is not a std::exception";
    }
}

const marshaller& pass_through_marshaller() {
    static const identity_marshaller instance;
    return instance;
}

namespace {

// Wraps a plugin's handler: the core answers 500 anyway, but the fault must be
// charged to the endpoint that owns the path.
template <class Request>
std::function<asio::awaitable<http_response>(Request)> guarded(
    endpoint_host& host, const char* where, std::function<asio::awaitable<http_response>(Request)> handler) {
    return [h = &host, where, handler = std::move(handler)](Request req) -> asio::awaitable<http_response> {
        std::exception_ptr failure;
        try {
            http_response r = co_await handler(std::move(req));
            check_headers(r);
            co_return r;
        } catch (...) {
            h->record_fault(where);
            failure = std::current_exception();
        }
        std::rethrow_exception(failure);
    };
}

}  // namespace

class endpoint_host::guarded_http final : public http_registry {
public:
    guarded_http(endpoint_host& host, http_registry& inner) : host_(host), inner_(inner) {}

    void add(http_route route) override {
        check_not_admin(route.path);
        route.handler = guarded(host_, "http", std::move(route.handler));
        const std::string path = route.path;
        inner_.add(std::move(route));
        host_.paths_.push_back(path);
    }

    void add(upgrade_route route) override {
        check_not_admin(route.path);
        if (route.check) {
            route.check = [h = &host_, check = std::move(route.check)](const http_request& req) {
                try {
                    auto refusal = check(req);
                    if (refusal) check_headers(*refusal);
                    return refusal;
                } catch (...) {
                    h->record_fault("upgrade");
                    throw;
                }
            };
        }
        route.accept = [h = &host_, accept = std::move(route.accept)](http_upgrade u) {
            try {
                accept(std::move(u));
            } catch (...) {
                h->record_fault("upgrade");
                throw;
            }
        };
        const std::string path = route.path;
        inner_.add(std::move(route));
        host_.paths_.push_back(path);
    }

    void add(admin_route route) override {
        if (!host_.w_.admin) throw std::logic_error("admin routes are not served in this process");
        if (route.handler) route.handler = guarded(host_, "admin", std::move(route.handler));
        host_.w_.admin->add(host_.name(), host_.plugin_id(), std::move(route));
    }

private:
    endpoint_host& host_;
    http_registry& inner_;
};

endpoint_host::endpoint_host(wiring w) : w_(std::move(w)), log_(make_logger("endpoint/" + w_.name)) {
    if (!w_.marshalling) w_.marshalling = &pass_through_marshaller();
    invalid_ = &w_.metrics->counter("araldo_messages_invalid_total", {{"endpoint", w_.name}},
                                    "inbound messages rejected by the endpoint's marshaller");
    http_ = std::make_unique<guarded_http>(*this, *w_.http);
}

endpoint_host::~endpoint_host() = default;

http_registry& endpoint_host::http() { return *http_; }

void endpoint_host::record_fault(std::string_view where) noexcept {
    try {
        const std::string what = current_exception_text();
        araldo::counter* c = nullptr;
        for (auto& [w, counter] : fault_counters_)
            if (w == where) c = counter;
        if (!c) {
            c = &w_.metrics->counter("araldo_plugin_errors_total",
                                     {{"endpoint", w_.name}, {"where", std::string(where)}},
                                     "exceptions thrown by plugin code and contained by the core");
            fault_counters_.emplace_back(std::string(where), c);
        }
        c->inc();
        ++faults_;
        last_fault_ = std::string(where) + ": " + what;
        if (worth_logging(c->value())) log_->error("plugin error in {}: {} ({} so far)", where, what, c->value());
    } catch (...) {
        ++faults_;  // out of memory while recording: the count still moves
    }
}

ingest_result endpoint_host::ingest(std::string payload, bool binary, attributes attrs) {
    message::fields f;
    f.payload = std::move(payload);
    f.binary = binary;
    f.attributes = std::move(attrs);
    return ingest(std::move(f));
}

ingest_result endpoint_host::ingest(message::fields f) {
    if (!f.id.empty() && !valid_message_id(f.id)) {
        invalid_->inc();
        const auto n = invalid_->value();
        if (worth_logging(n)) log_->warn("INVALID message id refused ({} so far)", n);
        return {nullptr, "a message id is 1 to 128 letters, digits, '-', '.', '_' or '~'", {}};
    }
    if (!f.format) {
        attributes lifted;
        unmarshal_result r;
        try {
            r = w_.marshalling->unmarshal(f.payload, f.binary, lifted);
        } catch (...) {
            record_fault("unmarshal");
            return {nullptr, "the marshaller failed on this input", {}};
        }
        if (!r.ok) {
            invalid_->inc();
            auto n = invalid_->value();
            if (worth_logging(n)) {
                log_->warn("INVALID {} bytes rejected by {}: {} ({} so far)", f.payload.size(), w_.marshalling->id(),
                           r.error, n);
            }
            return {nullptr, std::move(r.error), {}};
        }
        // What the caller set (from a URL, a topic) overrides what the marshaller
        // lifted. The marshaller lifts one or two keys, the caller sets several:
        // merge the few into the many, per message, rather than copy the many.
        for (const auto& [k, v] : lifted)
            if (!f.attributes.contains(k)) f.attributes.set(k, v);
        f.format = w_.marshalling;
    }
    return route_fields(std::move(f));
}

ingest_result endpoint_host::route_fields(message::fields f) {
    f.source = w_.name;
    message_ptr msg = make_message(std::move(f));
    const route_outcome outcome = w_.route->route(w_.index, msg);
    return {std::move(msg), {}, std::string(outcome.refused_by)};
}

message_ptr endpoint_host::emit(message::fields f) { return route_fields(std::move(f)).msg; }

}  // namespace araldo::detail
