// marshal-json (plugins/marshal-json): scan_json, the marshaller's unmarshal
// and marshal, and the SDK's json_quote that marshal uses, on bytes as a client sends them.
//
// Properties: the scanner accepts exactly what Boost.JSON's own parser accepts
// at the same depth; unmarshal accepts exactly that, less an invalid "folder"; what marshal() sends is always one valid JSON text; a
// quoted string parses back to the bytes (valid UTF-8) it quoted.
#include "fuzz_check.hpp"
#include "json_marshaller.hpp"
#include "json_scan.hpp"

#include <araldo/folder.hpp>
#include <araldo/json.hpp>
#include <araldo/message.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <araldo/utf8.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mj = araldo::plugins::marshal_json;

namespace {

bool boost_accepts(std::string_view text, std::size_t max_depth) {
    boost::json::parse_options opt;
    opt.max_depth = max_depth;
    boost::system::error_code ec;
    boost::json::parse(text, ec, {}, opt);
    return !ec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // The first byte picks the depth limit (1..64, the plugin's default is
    // 64), so the fuzzer reaches the limit without kilobytes of brackets.
    const std::size_t depth = 1 + data[0] % 64;
    const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

    const auto scanned = mj::scan_json(in, depth, true);
    FUZZ_CHECK(scanned.ok == boost_accepts(in, depth));
    if (!scanned.ok) FUZZ_CHECK(scanned.offset <= in.size());

    const mj::json_marshaller m{depth};
    araldo::attributes attrs;
    const auto u = m.unmarshal(in, false, attrs);
    // A "folder" that is there must be a valid one, or a string at all.
    const bool folder_ok = scanned.folder_kind != mj::folder_field::not_string &&
                           (!scanned.folder || araldo::valid_folder(*scanned.folder));
    FUZZ_CHECK(scanned.folder.has_value() == (scanned.folder_kind == mj::folder_field::string));
    FUZZ_CHECK(u.ok == (scanned.ok && folder_ok));
    FUZZ_CHECK(attrs.contains("type") == (u.ok && scanned.type.has_value()));
    FUZZ_CHECK(attrs.contains("folder") == (u.ok && scanned.folder.has_value()));
    FUZZ_CHECK(!m.unmarshal(in, true, attrs).ok);

    // Egress of a payload that came in through another marshaller (format
    // unset): the bytes as they are when they are JSON, else a JSON string.
    araldo::message::fields f;
    f.id = "fuzz";
    f.payload = std::string(in);
    const auto msg = araldo::make_message(std::move(f));
    const auto out = m.marshal(msg);
    FUZZ_CHECK(!out.binary);
    FUZZ_CHECK(mj::scan_json(out.bytes, depth, false).ok);
    FUZZ_CHECK(araldo::valid_utf8(out.bytes));

    const std::string quoted = araldo::json_quote(in);
    boost::system::error_code ec;
    const auto v = boost::json::parse(quoted, ec);
    FUZZ_CHECK(!ec && v.is_string());
    if (araldo::valid_utf8(in)) FUZZ_CHECK(v.get_string() == in);
    return 0;
}
