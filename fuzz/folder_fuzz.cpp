// araldo::valid_folder and araldo::folder_glob (sdk/folder.cpp): the rule
// every ingress applies to folders from outside (a JSON "folder", ?folder=,
// a Redis channel through a template) and the glob route filters match them
// with.
//
// Input: a glob, '\n', a folder. Checked against a reference written
// differently: the rule by splitting and decoding code points, the glob by
// dynamic programming over segments and characters (no backtracking), on
// valid folders; a valid folder without wildcards, taken as a glob, matches
// itself and nothing else; matching never crashes on anything.
#include "fuzz_check.hpp"

#include <araldo/folder.hpp>
#include <araldo/utf8.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::vector<std::string_view> split(std::string_view s) {
    std::vector<std::string_view> out;
    for (;;) {
        const auto slash = s.find('/');
        out.push_back(s.substr(0, slash));
        if (slash == std::string_view::npos) return out;
        s.remove_prefix(slash + 1);
    }
}

// UTF-8 characters of valid text, each as its bytes.
std::vector<std::string_view> characters(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t j = i + 1;
        while (j < s.size() && (static_cast<std::uint8_t>(s[j]) & 0xC0) == 0x80) ++j;
        out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

std::uint32_t code_point(std::string_view c) {
    const auto b0 = static_cast<std::uint8_t>(c[0]);
    if (c.size() == 1) return b0;
    std::uint32_t cp = b0 & (0x7F >> c.size());
    for (std::size_t k = 1; k < c.size(); ++k) cp = (cp << 6) | (static_cast<std::uint8_t>(c[k]) & 0x3F);
    return cp;
}

bool reference_valid(std::string_view s) {
    if (s.empty() || s.size() > 1024 || s[0] != '/' || !araldo::valid_utf8(s)) return false;
    for (auto c : characters(s)) {
        const auto cp = code_point(c);
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return false;
    }
    if (s == "/") return true;
    for (auto seg : split(s.substr(1))) {
        if (seg.empty() || seg == "." || seg == "..") return false;
    }
    return true;
}

bool reference_glob_valid(std::string_view g) {
    if (g == "**") return true;
    if (!reference_valid(g)) return false;
    if (g == "/") return true;
    for (auto seg : split(g.substr(1))) {
        if (seg != "**" && seg.find("**") != std::string_view::npos) return false;
    }
    return true;
}

bool reference_segment(std::string_view pattern, std::string_view text) {
    const auto p = characters(pattern), t = characters(text);
    // m[i][j]: p[i:] matches t[j:].
    std::vector<std::vector<char>> m(p.size() + 1, std::vector<char>(t.size() + 1, 0));
    m[p.size()][t.size()] = 1;
    for (std::size_t i = p.size(); i-- > 0;) {
        for (std::size_t j = t.size() + 1; j-- > 0;) {
            if (p[i] == "*") {
                m[i][j] = m[i + 1][j] || (j < t.size() && m[i][j + 1]);
            } else if (j < t.size()) {
                m[i][j] = (p[i] == "?" || p[i] == t[j]) && m[i + 1][j + 1];
            }
        }
    }
    return m[0][0];
}

bool reference_match(std::string_view glob, std::string_view folder) {
    if (glob == "**") return true;
    const auto p = glob == "/" ? std::vector<std::string_view>{} : split(glob.substr(1));
    const auto f = folder == "/" ? std::vector<std::string_view>{} : split(folder.substr(1));
    std::vector<std::vector<char>> m(p.size() + 1, std::vector<char>(f.size() + 1, 0));
    m[p.size()][f.size()] = 1;
    for (std::size_t i = p.size(); i-- > 0;) {
        for (std::size_t j = f.size() + 1; j-- > 0;) {
            if (p[i] == "**") {
                m[i][j] = m[i + 1][j] || (j < f.size() && m[i][j + 1]);
            } else if (j < f.size()) {
                m[i][j] = reference_segment(p[i], f[j]) && m[i + 1][j + 1];
            }
        }
    }
    return m[0][0];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto newline = in.find('\n');
    const std::string_view glob = in.substr(0, newline);
    const std::string_view folder = newline == std::string_view::npos ? in : in.substr(newline + 1);

    const bool valid = static_cast<bool>(araldo::valid_folder(folder));
    FUZZ_CHECK(valid == reference_valid(folder));
    FUZZ_CHECK(static_cast<bool>(araldo::valid_folder(glob)) == reference_valid(glob));

    const auto compiled = araldo::folder_glob::compile(glob);
    FUZZ_CHECK(static_cast<bool>(compiled) == reference_glob_valid(glob));
    if (compiled) {
        const bool matched = compiled.value().matches(folder);  // anything at all: must not crash
        // The references are quadratic; keep the quick pass quick.
        if (valid && glob.size() <= 256 && folder.size() <= 256)
            FUZZ_CHECK(matched == reference_match(glob, folder));
        araldo::attributes none;
        FUZZ_CHECK(compiled.value().matches(none) == (glob == "**"));
    }

    // A folder without wildcards is a glob that names exactly itself.
    if (valid && folder.find_first_of("*?") == std::string_view::npos) {
        const auto exact = araldo::folder_glob::compile(folder);
        FUZZ_CHECK(static_cast<bool>(exact));
        FUZZ_CHECK(exact.value().matches(folder));
        if (araldo::valid_folder(glob) && glob != folder) FUZZ_CHECK(!exact.value().matches(glob));
    }
    return 0;
}
