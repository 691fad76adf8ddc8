#include "endpoint_host.hpp"

#include "logging.hpp"
#include "router.hpp"

#include <araldo/log_rate.hpp>

namespace araldo::detail {

namespace {

class identity_marshaller final : public marshaller {
public:
    std::string_view id() const noexcept override { return "pass-through"; }
    unmarshal_result unmarshal(std::string_view, bool, attributes&) const override { return {}; }
    encoded marshal(const message_ptr& msg) const override { return pass_through(msg); }
};

}  // namespace

const marshaller& pass_through_marshaller() {
    static const identity_marshaller instance;
    return instance;
}

endpoint_host::endpoint_host(wiring w) : w_(std::move(w)), log_(make_logger("endpoint/" + w_.name)) {
    if (!w_.marshalling) w_.marshalling = &pass_through_marshaller();
    invalid_ = &w_.metrics->counter("araldo_messages_invalid_total", {{"endpoint", w_.name}},
                                    "inbound messages rejected by the endpoint's marshaller");
}

ingest_result endpoint_host::ingest(std::string payload, bool binary, attributes attrs) {
    unmarshal_result r = w_.marshalling->unmarshal(payload, binary, attrs);
    if (!r.ok) {
        invalid_->inc();
        auto n = invalid_->value();
        if (worth_logging(n)) {
            log_->warn("INVALID {} bytes rejected by {}: {} ({} so far)", payload.size(), w_.marshalling->id(),
                       r.error, n);
        }
        return {nullptr, std::move(r.error)};
    }
    message::fields f;
    f.payload = std::move(payload);
    f.binary = binary;
    f.attributes = std::move(attrs);
    f.format = w_.marshalling;
    return {emit(std::move(f)), {}};
}

message_ptr endpoint_host::emit(message::fields f) {
    f.source = w_.name;
    message_ptr msg = make_message(std::move(f));
    w_.route->route(w_.index, msg);
    return msg;
}

}  // namespace araldo::detail
