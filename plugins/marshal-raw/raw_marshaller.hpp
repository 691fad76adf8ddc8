// marshal-raw: any bytes in, the same bytes out.
#pragma once

#include <araldo/marshaller.hpp>
#include <araldo/options.hpp>

#include <memory>

namespace araldo::plugins::marshal_raw {

inline constexpr std::string_view plugin_id = "marshal-raw";

class raw_marshaller final : public araldo::marshaller {
public:
    std::string_view id() const noexcept override { return plugin_id; }
    unmarshal_result unmarshal(std::string_view bytes, bool binary, araldo::attributes& attrs) const override;
    encoded marshal(const message_ptr& msg) const override;
};

option_table raw_options();
std::unique_ptr<araldo::marshaller> make_raw_marshaller(const araldo::options& opts);

}  // namespace araldo::plugins::marshal_raw
