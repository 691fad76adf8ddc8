#include <araldo/options.hpp>

#include <stdexcept>

namespace araldo {

std::string_view to_string(option_type t) noexcept {
    switch (t) {
        case option_type::string: return "string";
        case option_type::boolean: return "boolean";
        case option_type::integer: return "integer";
        case option_type::duration: return "duration";
        case option_type::size: return "size";
        case option_type::string_list: return "list of strings";
        case option_type::duration_list: return "list of durations";
        case option_type::string_map: return "map of strings";
        case option_type::object: return "mapping";
        case option_type::object_list: return "list of mappings";
    }
    return "unknown";
}

bool options::has(std::string_view name) const {
    auto it = entries_.find(name);
    return it != entries_.end() && !std::holds_alternative<std::monostate>(it->second.v);
}

bool options::given(std::string_view name) const {
    auto it = entries_.find(name);
    return it != entries_.end() && it->second.given;
}

const options::entry& options::find(std::string_view name) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) {
        throw std::logic_error("option '" + std::string(name) + "' is not in the option table");
    }
    return it->second;
}

template <class T>
const T& options::get(std::string_view name) const {
    const auto& e = find(name);
    if (const T* v = std::get_if<T>(&e.v)) return *v;
    if (std::holds_alternative<std::monostate>(e.v)) {
        throw std::logic_error("option '" + std::string(name) + "' has no value and no default");
    }
    throw std::logic_error("option '" + std::string(name) + "' read with the wrong type");
}

const std::string& options::string(std::string_view name) const { return get<std::string>(name); }
bool options::boolean(std::string_view name) const { return get<bool>(name); }
std::int64_t options::integer(std::string_view name) const { return get<std::int64_t>(name); }
araldo::duration options::duration(std::string_view name) const { return get<araldo::duration>(name); }
std::uint64_t options::size(std::string_view name) const { return get<std::uint64_t>(name); }
const std::vector<std::string>& options::string_list(std::string_view name) const {
    return get<std::vector<std::string>>(name);
}
const std::vector<araldo::duration>& options::duration_list(std::string_view name) const {
    return get<std::vector<araldo::duration>>(name);
}
const string_pairs& options::string_map(std::string_view name) const { return get<string_pairs>(name); }
const options& options::object(std::string_view name) const { return *get<std::shared_ptr<const options>>(name); }

const std::vector<std::shared_ptr<const options>>& options::object_list(std::string_view name) const {
    return get<std::vector<std::shared_ptr<const options>>>(name);
}

source_mark options::mark(std::string_view name) const {
    auto it = entries_.find(name);
    // An unknown position in the same file says less than the mapping's; a
    // value from elsewhere (an environment variable) is named as it is.
    if (it == entries_.end() || (it->second.mark.line == 0 && it->second.mark.file == where_.file)) return where_;
    return it->second.mark;
}

void options::fail(std::string_view name, std::string what, std::string hint) const {
    throw config_error(mark(name), std::string(name) + ": " + what, std::move(hint));
}

void options::set(std::string name, value v, source_mark mark, bool given) {
    entries_.insert_or_assign(std::move(name), entry{std::move(v), std::move(mark), given});
}

}  // namespace araldo
