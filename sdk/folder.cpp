#include <araldo/folder.hpp>
#include <araldo/utf8.hpp>

namespace araldo {

namespace {

constexpr std::size_t npos = std::string_view::npos;

// C0, DEL and C1 (U+0080-U+009F, encoded C2 80 to C2 9F): a folder ends up in
// log lines, channel names and URLs, where none of them belongs.
bool has_control_character(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x20 || b == 0x7F) return true;
        if (b == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return true;
    }
    return false;
}

// Checks what a folder and a glob share: the text, and a '/' at each end.
result<> check_text(std::string_view s, std::string_view what) {
    const std::string w(what);
    if (s.empty()) return result<>::fail(w + " cannot be empty");
    if (s.size() > max_folder_length)
        return result<>::fail(w + " is at most " + std::to_string(max_folder_length) + " bytes");
    if (s.front() != '/') return result<>::fail(w + " starts with '/'");
    if (!valid_utf8(s)) return result<>::fail(w + " must be UTF-8 text");
    if (has_control_character(s)) return result<>::fail(w + " cannot hold control characters");
    if (s.size() > 1 && s.back() == '/') return result<>::fail(w + " cannot end with '/'");
    return result<>::ok();
}

// The segment starting at `at` of `s` (after the leading '/'), and where the
// next one starts (npos: none).
std::string_view segment_at(std::string_view s, std::size_t at, std::size_t& next) noexcept {
    const std::size_t slash = s.find('/', at);
    next = slash == npos ? npos : slash + 1;
    return s.substr(at, slash == npos ? npos : slash - at);
}

result<> check_segment(std::string_view segment, std::string_view what) {
    if (segment.empty()) return result<>::fail(std::string(what) + " cannot hold an empty segment ('//')");
    if (segment == "." || segment == "..")
        return result<>::fail(std::string(what) + " cannot hold a '.' or '..' segment");
    return result<>::ok();
}

// One UTF-8 character: the byte at `i` and the continuation bytes after it.
std::size_t next_character(std::string_view s, std::size_t i) noexcept {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    return i;
}

}  // namespace

result<> valid_folder(std::string_view folder) {
    if (auto text = check_text(folder, "a folder"); !text) return text;
    if (folder.size() == 1) return result<>::ok();  // the root
    const std::string_view rest = folder.substr(1);
    for (std::size_t at = 0; at != npos;) {
        std::size_t next;
        if (auto seg = check_segment(segment_at(rest, at, next), "a folder"); !seg) return seg;
        at = next;
    }
    return result<>::ok();
}

result<folder_glob> folder_glob::compile(std::string_view pattern) {
    folder_glob g;
    g.text_ = std::string(pattern);
    if (pattern == "**") {
        g.any_ = true;
        return result<folder_glob>::ok(std::move(g));
    }
    if (auto text = check_text(pattern, "a folder glob"); !text) {
        if (!pattern.empty() && pattern.front() != '/')
            return result<folder_glob>::fail(text.reason() + " (or is \"**\" alone, for every message)");
        return result<folder_glob>::fail(text.reason());
    }
    if (pattern.size() == 1) return result<folder_glob>::ok(std::move(g));  // the root alone
    const std::string_view rest = pattern.substr(1);
    for (std::size_t at = 0; at != npos;) {
        std::size_t next;
        const std::string_view seg = segment_at(rest, at, next);
        if (auto ok = check_segment(seg, "a folder glob"); !ok) return result<folder_glob>::fail(ok.reason());
        const bool globstar = seg == "**";
        if (!globstar && seg.find("**") != npos)
            return result<folder_glob>::fail(
                "'**' in a folder glob stands for whole segments: write /a/**/b, not /a**b");
        // Offsets into text_ (the pattern's copy), which moves with the glob.
        g.pieces_.push_back({static_cast<std::uint32_t>(1 + at), static_cast<std::uint32_t>(seg.size()), globstar});
        at = next;
    }
    return result<folder_glob>::ok(std::move(g));
}

bool folder_glob::matches(const attributes& message_attributes) const {
    const auto folder = message_attributes.get(folder_attribute);
    return folder ? matches(*folder) : any_;
}

// Segments play the part characters play in a shell glob, and "**" that of
// '*': one backtrack point suffices (the last "**" seen), so matching is
// linear in practice and never recursive.
bool folder_glob::matches(std::string_view folder) const noexcept {
    if (any_) return true;
    if (folder.empty() || folder.front() != '/') return false;
    const std::string_view rest = folder.substr(1);
    const std::size_t n = pieces_.size();
    std::size_t p = 0;
    std::size_t t = rest.empty() ? npos : 0;  // where the next segment of the folder starts
    std::size_t star = npos, resume = 0;
    while (t != npos) {
        std::size_t next;
        const std::string_view seg = segment_at(rest, t, next);
        if (p < n && pieces_[p].globstar) {
            star = p++;
            resume = t;
        } else if (p < n && segment_matches(pieces_[p], seg)) {
            ++p;
            t = next;
        } else if (star != npos) {
            p = star + 1;
            segment_at(rest, resume, resume);
            t = resume;
        } else {
            return false;
        }
    }
    while (p < n && pieces_[p].globstar) ++p;
    return p == n;
}

// The shell's '*' and '?' within one segment, again with one backtrack point.
bool folder_glob::segment_matches(const piece& piece, std::string_view text) const noexcept {
    if (text.empty()) return false;  // only in a folder that is not one ("/a//b"): no segment glob takes it
    const std::string_view pattern = std::string_view(text_).substr(piece.begin, piece.size);
    std::size_t p = 0, t = 0, star = npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '?') {
            ++p;
            t = next_character(text, t);
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != npos) {
            p = star + 1;
            resume = next_character(text, resume);
            t = resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool folder_within(std::string_view folder, std::string_view root) noexcept {
    if (!folder.starts_with(root)) return false;
    return folder.size() == root.size() || root == "/" || folder[root.size()] == '/';
}

}  // namespace araldo
