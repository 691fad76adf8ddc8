// marshal-uppercase: a marshaller that accepts text and sends it on in upper
// case (ASCII letters only; other bytes unchanged). Binary frames are refused.
//
// Everything a plugin needs is in <araldo/plugin.hpp>: the descriptor, the
// marshaller interface, the option table and the ARALDO_PLUGIN macro.
#include <araldo/plugin.hpp>

#include <memory>
#include <string>

namespace {

class uppercase_marshaller final : public araldo::marshaller {
public:
    explicit uppercase_marshaller(std::string prefix) : prefix_(std::move(prefix)) {}

    std::string_view id() const noexcept override { return "marshal-uppercase"; }

    araldo::unmarshal_result unmarshal(std::string_view, bool binary, araldo::attributes& attrs) const override {
        if (binary) return araldo::unmarshal_result::failure("marshal-uppercase takes text only");
        attrs.set("type", "shout");
        return araldo::unmarshal_result::success();
    }

    araldo::encoded marshal(const araldo::message_ptr& msg) const override {
        auto text = std::make_shared<std::string>(prefix_);
        text->append(msg->payload());
        for (std::size_t i = prefix_.size(); i < text->size(); ++i) {
            char& c = (*text)[i];
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        }
        // `owner` keeps the bytes alive for as long as the endpoint needs them.
        return {text, *text, false};
    }

private:
    std::string prefix_;
};

araldo::plugin_descriptor describe() {
    araldo::marshaller_factory factory;
    factory.id = "marshal-uppercase";
    factory.description = "Sends text on in upper case, optionally after a prefix.";
    factory.options = {
        {"prefix", araldo::option_type::string, "", "text put before every message on the way out"},
    };
    factory.create = [](const araldo::options& opts) -> std::unique_ptr<araldo::marshaller> {
        return std::make_unique<uppercase_marshaller>(opts.string("prefix"));
    };
    araldo::plugin_descriptor d{"plugin-uppercase", "1.0.0", {}, {}};
    d.marshallers.push_back(std::move(factory));
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
