// Folders: where a message is addressed, a path such as /acme/greenhouse/pi-7
// carried in the message's "folder" attribute (docs/folders.md). One rule for
// what a folder is, used by every ingress that sets one, and one glob for
// matching folders (route filters now; subscriptions and keys later), so
// that what one part accepts no other part refuses.
//
// Pure functions and values: no I/O, nothing shared, results owned by the caller.
#pragma once

#include <araldo/export.hpp>
#include <araldo/message.hpp>
#include <araldo/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace araldo {

// The attribute that carries a message's folder.
inline constexpr std::string_view folder_attribute = "folder";

inline constexpr std::size_t max_folder_length = 1024;

// A folder is "/" (the root, above every other folder) or '/' followed by
// segments separated by single '/': no empty segment, no "." or ".."
// segment, no '/' at the end, valid UTF-8 without control characters
// (U+0000-U+001F, U+007F-U+009F), at most max_folder_length bytes. The
// reason of a failure does not quote the input (it may be anything).
ARALDO_EXPORT result<> valid_folder(std::string_view folder);

// `folder` is `root` or below it ("/" is above every folder). Both valid
// folders; compares text only, so /acme-corp is not within /acme.
ARALDO_EXPORT bool folder_within(std::string_view folder, std::string_view root) noexcept;

// A glob over folders, compiled once (from a config) and matched per message
// without allocating:
//   - "*" matches any run of characters within one segment (never '/'),
//   - "?" one character (a UTF-8 character, not a byte),
//   - "**" as a whole segment: any number of whole segments, none included,
//     so /acme/** matches /acme, /acme/x and /acme/x/y;
//   - anything else itself.
// Every glob starts with '/' and matches only messages that have a folder,
// except "**" written alone, which matches every message, with a folder or
// without (as the type glob "*" matches a message without a type).
class ARALDO_EXPORT folder_glob {
public:
    // Fails with the reason when the pattern could never match a valid folder
    // (no leading '/', an empty or "."/".." segment, a '/' at the end, "**"
    // inside a segment, control characters, not UTF-8, longer than
    // max_folder_length).
    static result<folder_glob> compile(std::string_view pattern);

    bool matches(std::string_view folder) const noexcept;
    // Matches a message by its folder attribute (none: only "**" matches).
    bool matches(const attributes& message_attributes) const;

    const std::string& text() const noexcept { return text_; }

private:
    struct piece {
        std::uint32_t begin = 0;  // into text_
        std::uint32_t size = 0;
        bool globstar = false;
    };
    folder_glob() = default;
    ARALDO_HIDDEN bool segment_matches(const piece& p, std::string_view segment) const noexcept;

    std::string text_;
    std::vector<piece> pieces_;  // one per segment of the pattern
    bool any_ = false;           // "**" alone
};

}  // namespace araldo
