#include <araldo/attribute_template.hpp>

#include <algorithm>

namespace araldo {

namespace {

std::string listed(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "{" : ", {") + n + "}";
    return out;
}

}  // namespace

araldo::result<attribute_template> attribute_template::parse(std::string_view text,
                                                             const std::vector<std::string>& allowed) {
    using answer = araldo::result<attribute_template>;
    attribute_template t;
    t.text_ = std::string(text);
    std::string literal;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            literal += c;
            ++i;
            continue;
        }
        if (c != '{') {
            literal += c;
            continue;
        }
        const std::size_t close = text.find('}', i + 1);
        if (close == std::string_view::npos)
            return answer::fail("'{' at " + std::to_string(i) + " is not closed (write {{ for a literal brace)");
        std::string name(text.substr(i + 1, close - i - 1));
        if (name.empty()) return answer::fail("{} names no attribute");
        if (name.find('{') != std::string::npos)
            return answer::fail("'{' inside a placeholder (write {{ for a literal brace)");
        if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), name) == allowed.end())
            return answer::fail("{" + name + "} is not known here; the placeholders are " + listed(allowed));
        if (!literal.empty()) t.pieces_.push_back({std::move(literal), false});
        literal.clear();
        t.names_.push_back(name);
        t.pieces_.push_back({std::move(name), true});
        i = close;
    }
    if (t.names_.empty()) t.literal_ = literal;
    if (!literal.empty()) t.pieces_.push_back({std::move(literal), false});
    return answer::ok(std::move(t));
}

std::string_view attribute_template::head() const noexcept {
    if (pieces_.empty() || pieces_.front().placeholder) return {};
    return pieces_.front().text;
}

std::optional<std::string_view> attribute_template::expand(const attributes& attrs, std::string& out) const {
    for (const auto& p : pieces_) {
        if (!p.placeholder) {
            out += p.text;
            continue;
        }
        const auto value = attrs.get(p.text);
        if (!value || value->empty()) return std::string_view(p.text);
        out += *value;
    }
    return std::nullopt;
}

std::string attribute_template::expand_all(std::string_view value) const {
    std::string out;
    for (const auto& p : pieces_) {
        if (p.placeholder) {
            out += value;
        } else {
            out += p.text;
        }
    }
    return out;
}

}  // namespace araldo
