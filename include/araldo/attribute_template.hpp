// A config string with {name} placeholders over a message's attributes:
// endpoint-redis's publish channel ("events{folder}") and inbound folder
// ("/redis/{channel}"), endpoint-mqtt's topics ("araldo{folder}", "/{topic}").
// One syntax for every plugin that names things after attributes. Parsed
// once when the options are read; expanded per message.
#pragma once

#include <araldo/export.hpp>
#include <araldo/message.hpp>
#include <araldo/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo {

class ARALDO_EXPORT attribute_template {
public:
    // `{{` and `}}` stand for a literal brace; a lone `}` is itself. Fails
    // with why for an unclosed `{`, an empty name, or a name not in `allowed`
    // (empty: any name). Text without `{` is literal, as it always was.
    static araldo::result<attribute_template> parse(std::string_view text,
                                                    const std::vector<std::string>& allowed = {});

    const std::string& text() const noexcept { return text_; }
    bool literal() const noexcept { return names_.empty(); }
    // The text with no placeholder, literal() only.
    const std::string& literal_text() const noexcept { return literal_; }
    // The literal text before the first placeholder.
    std::string_view head() const noexcept;
    const std::vector<std::string>& names() const noexcept { return names_; }

    // Appends the expansion to `out`. Returns the name of the first
    // placeholder whose attribute is missing or empty (`out` is then
    // partial), nullopt when complete.
    std::optional<std::string_view> expand(const attributes& attrs, std::string& out) const;
    // Every placeholder replaced by `value` (a template with one name allowed).
    std::string expand_all(std::string_view value) const;

private:
    struct piece {
        std::string text;  // literal text, or a placeholder's name
        bool placeholder = false;
    };
    std::string text_;
    std::string literal_;
    std::vector<piece> pieces_;
    std::vector<std::string> names_;
};

}  // namespace araldo
