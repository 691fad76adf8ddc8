#include "config/yaml_source.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace araldo::detail {

source_mark mark_of(const YAML::Node& node, const std::string& file) {
    if (!node.IsDefined()) return {file, 0, 0};  // a missing key: Mark() would throw
    const YAML::Mark m = node.Mark();
    if (m.is_null()) return {file, 0, 0};
    return {file, m.line + 1, m.column + 1};
}

namespace {

// Counts nodes as a reader would see them, following aliases, so a
// "billion laughs" document is refused before anything walks it in full.
void check_size(const YAML::Node& node, const std::string& file, const yaml_limits& limits,
                std::size_t& seen, int depth) {
    if (++seen > limits.max_nodes) {
        throw config_error(mark_of(node, file),
                           "document too large: more than " + std::to_string(limits.max_nodes) +
                               " nodes once aliases are expanded",
                           "a config file this size is almost certainly an alias bomb");
    }
    if (depth > 64) {
        throw config_error(mark_of(node, file), "nesting deeper than 64 levels",
                           "araldo's config is a few levels deep; check the indentation");
    }
    switch (node.Type()) {
        case YAML::NodeType::Scalar:
            if (node.Scalar().size() > limits.max_scalar_bytes) {
                throw config_error(mark_of(node, file),
                                   "value longer than " + std::to_string(limits.max_scalar_bytes) +
                                       " bytes");
            }
            break;
        case YAML::NodeType::Sequence:
            for (const auto& child : node) check_size(child, file, limits, seen, depth + 1);
            break;
        case YAML::NodeType::Map:
            for (const auto& kv : node) {
                check_size(kv.first, file, limits, seen, depth + 1);
                check_size(kv.second, file, limits, seen, depth + 1);
            }
            break;
        default:
            break;
    }
}

}  // namespace

YAML::Node parse_yaml(std::string_view text, const std::string& file, const yaml_limits& limits) {
    if (text.size() > limits.max_file_bytes) {
        throw config_error({file, 0, 0}, "file larger than " + std::to_string(limits.max_file_bytes) +
                                             " bytes");
    }
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        // DeepRecursion is a ParserException too: both carry the position.
        source_mark where{file, e.mark.is_null() ? 0 : e.mark.line + 1,
                          e.mark.is_null() ? 0 : e.mark.column + 1};
        throw config_error(where, "invalid YAML: " + e.msg);
    }
    std::size_t seen = 0;
    check_size(root, file, limits, seen, 0);
    return root;
}

YAML::Node load_yaml_file(const std::string& path, const yaml_limits& limits) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw config_error({path, 0, 0}, std::string("cannot read config: ") + std::strerror(errno),
                           "pass the file with -c FILE");
    }
    in.seekg(0, std::ios::end);
    if (auto size = in.tellg(); size > 0 && static_cast<std::size_t>(size) > limits.max_file_bytes) {
        throw config_error({path, 0, 0}, "file larger than " +
                                             std::to_string(limits.max_file_bytes) + " bytes");
    }
    in.seekg(0);
    std::ostringstream text;
    text << in.rdbuf();
    return parse_yaml(text.str(), path, limits);
}

}  // namespace araldo::detail
