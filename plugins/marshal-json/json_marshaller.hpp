// marshal-json: JSON in, JSON out.
//
// Ingress validates the bytes as one JSON value and lifts the top-level string
// fields "type" and "folder" into the message's attributes of those names; an
// invalid folder rejects the message. Egress sends JSON as it came and wraps
// anything else in a JSON string.
#pragma once

#include <araldo/marshaller.hpp>
#include <araldo/options.hpp>

#include <cstddef>
#include <memory>
#include <string_view>

namespace araldo::plugins::marshal_json {

inline constexpr std::string_view plugin_id = "marshal-json";

class json_marshaller final : public araldo::marshaller {
public:
    explicit json_marshaller(std::size_t max_depth) : max_depth_(max_depth) {}

    std::string_view id() const noexcept override { return plugin_id; }
    unmarshal_result unmarshal(std::string_view bytes, bool binary, araldo::attributes& attrs) const override;
    encoded marshal(const message_ptr& msg) const override;

private:
    std::size_t max_depth_;
};

option_table json_options();
// Reads the validated options; rejects a max-depth outside 1..10000.
std::unique_ptr<araldo::marshaller> make_json_marshaller(const araldo::options& opts);

}  // namespace araldo::plugins::marshal_json
