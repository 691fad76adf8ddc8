#include "config/yaml_source.hpp"

#include "config/env_overrides.hpp"

#include <yaml-cpp/depthguard.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace araldo::detail {

source_mark mark_of(const YAML::Node& node, const std::string& file) {
    if (!node.IsDefined()) return {file, 0, 0};  // a missing key: Mark() would throw
    if (auto variable = env_origin(node)) return {"environment " + *variable, 0, 0};
    const YAML::Mark m = node.Mark();
    if (m.is_null()) return {file, 0, 0};
    return {file, m.line + 1, m.column + 1};
}

namespace {

// Deeper than any config needs; the parser's own guard (2000) stops a deeper
// document before it is built, check_size() the rest.
constexpr int max_depth = 64;

// Counts nodes as a reader would see them, following aliases, so a
// "billion laughs" document is refused before anything walks it in full.
void check_size(const YAML::Node& node, const std::string& file, const yaml_limits& limits, std::size_t& seen,
                int depth) {
    if (++seen > limits.max_nodes) {
        throw config_error(
            mark_of(node, file),
            "document too large: more than " + std::to_string(limits.max_nodes) + " nodes once aliases are expanded",
            "a config file this size is almost certainly an alias bomb");
    }
    if (depth > max_depth) {
        throw config_error(mark_of(node, file), "nesting deeper than " + std::to_string(max_depth) + " levels",
                           "araldo's config is a few levels deep; check the indentation");
    }
    switch (node.Type()) {
        case YAML::NodeType::Scalar:
            if (node.Scalar().size() > limits.max_scalar_bytes) {
                throw config_error(mark_of(node, file),
                                   "value longer than " + std::to_string(limits.max_scalar_bytes) + " bytes");
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
        default: break;
    }
}

// Where flow brackets ([ and {) first nest deeper than max_depth, skipping
// quoted text and comments; nullopt if they never do (deep block nesting).
// yaml-cpp's depth guard reports where its scanner had got to, often the end
// of the file, which says nothing about where the nesting is.
std::optional<source_mark> deep_flow_position(std::string_view text, const std::string& file) {
    int depth = 0, line = 1, column = 0;
    char quote = 0;
    bool comment = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        ++column;
        if (c == '\n') {
            ++line;
            column = 0;
            comment = false;
            continue;
        }
        if (comment) continue;
        if (quote != 0) {
            if (c == quote) {
                quote = 0;
            } else if (c == '\\' && quote == '"') {
                ++i;  // an escaped character cannot end the string
                ++column;
            }
            continue;
        }
        // Quotes open a scalar only where a token starts: "it's" is plain text.
        const char before = i == 0 ? '\n' : text[i - 1];
        const bool token_start = std::string_view{"\n \t[{,:-"}.find(before) != std::string_view::npos;
        if ((c == '"' || c == '\'') && token_start) quote = c;
        else if (c == '#' && (before == ' ' || before == '\t' || before == '\n')) comment = true;
        else if ((c == '[' || c == '{') && ++depth > max_depth) return source_mark{file, line, column};
        else if ((c == ']' || c == '}') && depth > 0) --depth;
    }
    return std::nullopt;
}

}  // namespace

YAML::Node parse_yaml(std::string_view text, const std::string& file, const yaml_limits& limits) {
    if (text.size() > limits.max_file_bytes) {
        throw config_error({file, 0, 0}, "file larger than " + std::to_string(limits.max_file_bytes) + " bytes");
    }
    YAML::Node root;
    auto where_of = [&](const YAML::Mark& m) {
        return source_mark{file, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1};
    };
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::DeepRecursion& e) {
        // yaml-cpp stops at its own depth guard with the message "bad file":
        // say what it means, at the place it stopped.
        throw config_error(deep_flow_position(text, file).value_or(where_of(e.mark)),
                           "nesting deeper than " + std::to_string(max_depth) + " levels",
                           "araldo's config is a few levels deep; check the brackets and the indentation");
    } catch (const YAML::Exception& e) {
        throw config_error(where_of(e.mark), "invalid YAML: " + e.msg);
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
        throw config_error({path, 0, 0}, "file larger than " + std::to_string(limits.max_file_bytes) + " bytes");
    }
    in.seekg(0);
    std::ostringstream text;
    text << in.rdbuf();
    return parse_yaml(text.str(), path, limits);
}

}  // namespace araldo::detail
