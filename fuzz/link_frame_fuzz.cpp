// endpoint-link's frame decoder (link_frame.cpp): bytes from the far relay,
// or from whatever holds a certificate the hub trusts.
//
// Properties: decoding never reads past the input (ASan), a frame that
// decodes encodes back to exactly the same bytes (when its attribute names
// are distinct: a message keeps one value per name), and a batch that splits
// is rebuilt from its parts byte for byte.
#include "fuzz_check.hpp"
#include "link_frame.hpp"

#include <araldo/message.hpp>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace lk = araldo::plugins::endpoint_link;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    if (auto parts = lk::split_batch(bytes)) {
        std::string rebuilt;
        for (std::string_view part : parts.value()) lk::append_to_batch(rebuilt, part);
        FUZZ_CHECK(rebuilt == bytes);
        return 0;
    }
    auto decoded = lk::decode_frame(bytes);
    if (!decoded) {
        FUZZ_CHECK(!decoded.reason().empty());
        return 0;
    }
    const lk::frame& f = decoded.value();
    if (f.kind == lk::frame_kind::reply) {
        araldo::reply r{f.status, std::string(f.content_type), std::string(f.body), f.return_code};
        FUZZ_CHECK(lk::encode_reply(f.correlation, r) == bytes);
        return 0;
    }
    std::set<std::string_view> names;
    araldo::message::fields fields;
    fields.id = std::string(f.id);
    fields.payload = std::string(f.body);
    fields.binary = f.binary;
    for (const auto& [k, v] : f.attributes) {
        if (!names.insert(k).second) return 0;
        fields.attributes.set(std::string(k), std::string(v));
    }
    const auto msg = araldo::make_message(std::move(fields));
    FUZZ_CHECK(lk::encode_message(f.kind, *msg, f.correlation, f.remaining_ms) == bytes);
    return 0;
}
