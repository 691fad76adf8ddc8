// A hash map keyed by strings that is looked up by string_view without
// making a std::string per lookup: folders and identities come as views.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace araldo::plugins::endpoint_websocket {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

template <class Value>
using string_map = std::unordered_map<std::string, Value, string_hash, std::equal_to<>>;

}  // namespace araldo::plugins::endpoint_websocket
