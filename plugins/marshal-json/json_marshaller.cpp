#include "json_marshaller.hpp"

#include "json_scan.hpp"

#include <araldo/folder.hpp>
#include <araldo/json.hpp>
#include <araldo/message.hpp>

#include <cstdint>
#include <exception>
#include <memory>
#include <string>

namespace araldo::plugins::marshal_json {

namespace {

// Boost.JSON's parser recurses once per nesting level: the cap keeps hostile
// input (and a typo in the config) far from the end of the stack.
constexpr std::int64_t depth_ceiling = 10000;

}  // namespace

unmarshal_result json_marshaller::unmarshal(std::string_view bytes, bool binary, araldo::attributes& attrs) const {
    if (binary) return unmarshal_result::failure("binary frames are not JSON");
    try {
        scan_result r = scan_json(bytes, max_depth_, true);
        if (!r.ok) {
            return unmarshal_result::failure("invalid JSON at offset " + std::to_string(r.offset) + ": " + r.error);
        }
        if (r.folder_kind == folder_field::not_string)
            return unmarshal_result::failure("\"folder\" must be a string such as \"/acme/greenhouse\", or null");
        if (r.folder) {
            if (auto valid = araldo::valid_folder(*r.folder); !valid)
                return unmarshal_result::failure("invalid \"folder\": " + valid.reason());
            attrs.set(std::string(araldo::folder_attribute), std::move(*r.folder));
        }
        if (r.type) attrs.set("type", std::move(*r.type));
        return unmarshal_result::success();
    } catch (const std::exception& e) {
        // Only allocation can fail here; the contract is to report, not throw.
        return unmarshal_result::failure(std::string("cannot validate JSON: ") + e.what());
    }
}

encoded json_marshaller::marshal(const message_ptr& msg) const {
    // Accepted by a marshal-json (this instance or another): valid by construction.
    const marshaller* from = msg->format();
    if (from != nullptr && from->id() == plugin_id) return pass_through(msg);
    // JSON that came in through another marshaller (raw, a binary frame) is
    // sent unchanged too, as a text frame: it is valid UTF-8 JSON text.
    if (scan_json(msg->payload(), max_depth_, false).ok) return {msg, msg->payload(), false};
    auto text = std::make_shared<const std::string>(araldo::json_quote(msg->payload()));
    std::string_view bytes = *text;
    return {std::move(text), bytes, false};
}

option_table json_options() {
    return {
        araldo::option_spec{.name = "max-depth",
                            .type = option_type::integer,
                            .default_value = "64",
                            .description = "deepest nesting of arrays and objects accepted; deeper input is rejected",
                            .min = "1",
                            .max = std::to_string(depth_ceiling)},
    };
}

std::unique_ptr<araldo::marshaller> make_json_marshaller(const araldo::options& opts) {
    // Within 1 and depth_ceiling: the table says so.
    return std::make_unique<json_marshaller>(static_cast<std::size_t>(opts.integer("max-depth")));
}

}  // namespace araldo::plugins::marshal_json
