// A marshaller turns wire bytes into a message at ingress and a message into
// wire bytes at egress.
//
// Ownership: the core owns every marshaller for the process lifetime; endpoints
// hold plain references. Marshallers are called on the core thread only.
#pragma once

#include <araldo/export.hpp>
#include <araldo/message.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace araldo {

// Bytes ready to write, kept alive by `owner` (usually the message itself, so
// pass-through egress copies nothing).
struct encoded {
    std::shared_ptr<const void> owner;
    std::string_view bytes;
    bool binary = false;
};

struct unmarshal_result {
    bool ok = true;
    std::string error;  // why the input was rejected, for the sender

    static unmarshal_result success() { return {}; }
    static unmarshal_result failure(std::string why) { return {false, std::move(why)}; }
};

class ARALDO_EXPORT marshaller {
public:
    virtual ~marshaller();

    // The plugin id, e.g. "marshal-json".
    virtual std::string_view id() const noexcept = 0;

    // Validates `bytes` and adds what it finds to `attrs` (e.g. "type").
    // Must not throw; must be cheap enough to run per message.
    virtual unmarshal_result unmarshal(std::string_view bytes, bool binary, attributes& attrs) const = 0;

    // Encodes for egress. A message whose format() is this marshaller must be
    // returned unchanged (payload bytes shared with the message).
    virtual encoded marshal(const message_ptr& msg) const = 0;

protected:
    static encoded pass_through(const message_ptr& msg) { return {msg, msg->payload(), msg->binary()}; }
};

}  // namespace araldo
