// araldo::utf8_validator, valid_utf8 and utf8_prefix (sdk/utf8.cpp): the
// one UTF-8 rule behind WebSocket text frames, Redis payloads and close reasons.
//
// Checked against a plain byte-at-a-time decoder written from RFC 3629, and
// fed again split at points taken from the input, since frames deliver text in
// pieces cut anywhere.
#include "fuzz_check.hpp"

#include <araldo/utf8.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

// Reference: decode each sequence to its code point and reject overlong
// forms, surrogates and values past U+10FFFF by value, not by byte ranges.
bool reference_valid(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<std::uint8_t>(s[i]);
        std::size_t len;
        std::uint32_t cp;
        if (b0 < 0x80) {
            len = 1;
            cp = b0;
        } else if ((b0 & 0xE0) == 0xC0) {
            len = 2;
            cp = b0 & 0x1F;
        } else if ((b0 & 0xF0) == 0xE0) {
            len = 3;
            cp = b0 & 0x0F;
        } else if ((b0 & 0xF8) == 0xF0) {
            len = 4;
            cp = b0 & 0x07;
        } else return false;
        if (s.size() - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto b = static_cast<std::uint8_t>(s[i + k]);
            if ((b & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (b & 0x3F);
        }
        static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const bool expected = reference_valid(in);
    FUZZ_CHECK(araldo::valid_utf8(in) == expected);

    // The same bytes in pieces: cut points from the input's own bytes, so the
    // fuzzer controls them along with the text.
    araldo::utf8_validator v;
    bool ok = true;
    std::size_t pos = 0;
    std::size_t step = size > 0 ? 1 + data[0] % 13 : 1;
    while (ok && pos < size) {
        const std::size_t n = std::min(step, size - pos);
        ok = v.feed(in.substr(pos, n));
        pos += n;
        step = 1 + data[pos % size] % 13;
    }
    FUZZ_CHECK((ok && v.complete()) == expected);

    // A prefix of valid text is valid text, and never longer than asked.
    for (std::size_t max : {std::size_t{0}, std::size_t{1}, std::size_t{123}, size / 2, size}) {
        const auto p = araldo::utf8_prefix(in, max);
        FUZZ_CHECK(p.size() <= max);
        FUZZ_CHECK(p.data() == in.data());
        if (expected) FUZZ_CHECK(reference_valid(p));
    }
    return 0;
}
