// endpoint-upstream's request target (plugins/endpoint-upstream/upstream_request.cpp):
// what a request's method, noun, args and query, which come from HTTP callers
// and from links, turn into on the request line sent to the service.
//
// Input: lines. The method, the noun, the query, then one arg per line.
#include "fuzz_check.hpp"
#include "upstream_request.hpp"

#include <araldo/encoding.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace up = araldo::plugins::endpoint_upstream;

namespace {

std::vector<std::string> lines(std::string_view in) {
    std::vector<std::string> out;
    while (true) {
        const auto nl = in.find('\n');
        out.emplace_back(in.substr(0, nl));
        if (nl == std::string_view::npos) return out;
        in.remove_prefix(nl + 1);
    }
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    while (true) {
        const auto at = s.find(sep);
        out.emplace_back(s.substr(0, at));
        if (at == std::string_view::npos) return out;
        s.remove_prefix(at + 1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto parts = lines({reinterpret_cast<const char*>(data), size});
    parts.resize(std::max<std::size_t>(parts.size(), 3));
    araldo::request_view req;
    req.method = parts[0];
    req.noun = parts[1];
    req.query = parts[2];
    req.args.assign(parts.begin() + 3, parts.end());

    constexpr std::string_view base = "/api";
    const auto call = up::make_call(base, req);
    if (!call) {
        FUZZ_CHECK(!call.reason().empty());
        return 0;
    }
    const std::string& target = call.value().target;
    // Nothing a request line cannot hold, nothing that would end the path early.
    for (char c : target) {
        const auto u = static_cast<unsigned char>(c);
        FUZZ_CHECK(u > 0x20 && u < 0x7f && c != '#');
    }
    FUZZ_CHECK(target.starts_with(base));
    // The path decodes back to the base, the noun's segments and the args, one segment each.
    const auto q = target.find('?');
    FUZZ_CHECK((q != std::string::npos) == !req.query.empty());
    if (q != std::string::npos) FUZZ_CHECK(target.substr(q + 1) == up::target_query(req.query));
    const std::string path = target.substr(base.size(), q == std::string::npos ? std::string::npos : q - base.size());
    std::vector<std::string> expected;
    if (!req.noun.empty()) expected = split(req.noun, '/');
    expected.insert(expected.end(), req.args.begin(), req.args.end());
    if (expected.empty()) {
        FUZZ_CHECK(path.empty());
        return 0;
    }
    FUZZ_CHECK(path.starts_with('/'));
    const auto segments = split(std::string_view(path).substr(1), '/');
    FUZZ_CHECK(segments.size() == expected.size());
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto decoded = araldo::percent_decode(segments[i], false);
        FUZZ_CHECK(decoded && *decoded == expected[i]);
        FUZZ_CHECK(expected[i] != "." && expected[i] != "..");
    }
    return 0;
}
