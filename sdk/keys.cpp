// Identities and their rights, the digest and generation of keys, and the
// keys-file option: everything about keys but the file's format.
#include <araldo/encoding.hpp>
#include <araldo/keys.hpp>
#include <araldo/utf8.hpp>

#include "key_rules.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace araldo {

namespace detail {

result<> check_identity_name(std::string_view name) {
    if (name.empty()) return result<>::fail("cannot be empty");
    if (name.size() > max_identity_length)
        return result<>::fail("is at most " + std::to_string(max_identity_length) + " bytes");
    if (!valid_utf8(name)) return result<>::fail("must be UTF-8 text");
    // A name ends up in log lines and attributes, where none of these belongs.
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto b = static_cast<unsigned char>(name[i]);
        const bool c1 = b == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) <= 0x9F;
        if (b < 0x20 || b == 0x7F || c1) return result<>::fail("cannot hold control characters");
    }
    return result<>::ok();
}

result<folder_glob> compile_right(std::string_view pattern) {
    auto glob = folder_glob::compile(pattern);
    if (!glob) {
        std::string why = "\"";  // appended: g++ 12's -Wrestrict misreads "literal" + std::string&& in Release
        why.append(utf8_prefix(pattern, 80)).append("\": ").append(glob.reason());
        return result<folder_glob>::fail(std::move(why));
    }
    return glob;
}

}  // namespace detail

namespace {

bool any_matches(const std::vector<folder_glob>& globs, std::string_view folder) {
    for (const auto& g : globs)
        if (g.matches(folder)) return true;
    return false;
}

}  // namespace

bool key_identity::may_read(std::string_view f) const { return any_matches(read, f); }

bool key_identity::may_write(std::string_view f) const {
    return (!folder.empty() && folder_within(f, folder)) || any_matches(write, f);
}

result<key_identity> key_identity::make(std::string name, std::string folder, const std::vector<std::string>& read,
                                        const std::vector<std::string>& write) {
    using answer = result<key_identity>;
    if (auto ok = detail::check_identity_name(name); !ok) return answer::fail("identity: " + ok.reason());
    if (!folder.empty()) {
        if (auto ok = valid_folder(folder); !ok) return answer::fail("folder: " + ok.reason());
    }
    key_identity id;
    id.name = std::move(name);
    id.folder = std::move(folder);
    const auto compile_all = [](const std::vector<std::string>& patterns, std::vector<folder_glob>& into,
                                const char* field) -> result<> {
        for (const auto& p : patterns) {
            auto glob = detail::compile_right(p);
            if (!glob) return result<>::fail(std::string(field) + ": " + glob.reason());
            into.push_back(std::move(glob).value());
        }
        return result<>::ok();
    };
    if (auto ok = compile_all(read, id.read, "read"); !ok) return answer::fail(ok.reason());
    if (auto ok = compile_all(write, id.write, "write"); !ok) return answer::fail(ok.reason());
    return answer::ok(std::move(id));
}

std::string detail::raw_sha256(std::string_view bytes) {
    std::string out(SHA256_DIGEST_LENGTH, '\0');
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
           reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

std::string detail::to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0xF];
    }
    return out;
}

std::optional<std::chrono::system_clock::time_point> detail::parse_rfc3339(std::string_view t) {
    using namespace std::chrono;
    std::size_t at = 0;
    const auto number = [&](std::size_t digits) -> std::optional<int> {
        if (at + digits > t.size()) return std::nullopt;
        int n = 0;
        for (std::size_t i = 0; i < digits; ++i) {
            const char c = t[at + i];
            if (c < '0' || c > '9') return std::nullopt;
            n = n * 10 + (c - '0');
        }
        at += digits;
        return n;
    };
    const auto expect = [&](std::string_view any_of) {
        if (at >= t.size() || any_of.find(t[at]) == std::string_view::npos) return false;
        ++at;
        return true;
    };
    const auto y = number(4);
    if (!y || !expect("-")) return std::nullopt;
    const auto mo = number(2);
    if (!mo || !expect("-")) return std::nullopt;
    const auto d = number(2);
    if (!d || !expect("Tt ")) return std::nullopt;
    const auto h = number(2);
    if (!h || !expect(":")) return std::nullopt;
    const auto mi = number(2);
    if (!mi || !expect(":")) return std::nullopt;
    const auto s = number(2);
    if (!s) return std::nullopt;
    const year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
    if (!date.ok() || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;  // 60: a leap second
    // The clock counts nanoseconds in 64 bits: from 1677 to 2262 only.
    if (*y < 1970 || *y > 2200) return std::nullopt;
    nanoseconds fraction{0};
    if (at < t.size() && t[at] == '.') {
        ++at;
        const std::size_t begin = at;
        long long scale = 100000000;
        while (at < t.size() && t[at] >= '0' && t[at] <= '9') {
            fraction += nanoseconds{(t[at] - '0') * scale};
            scale /= 10;
            ++at;
        }
        if (at == begin) return std::nullopt;
    }
    minutes offset{0};
    if (expect("Zz")) {
    } else if (at < t.size() && (t[at] == '+' || t[at] == '-')) {
        const int sign = t[at++] == '-' ? -1 : 1;
        const auto oh = number(2);
        if (!oh || !expect(":")) return std::nullopt;
        const auto om = number(2);
        if (!om || *oh > 23 || *om > 59) return std::nullopt;
        offset = minutes{sign * (*oh * 60 + *om)};
    } else {
        return std::nullopt;
    }
    if (at != t.size()) return std::nullopt;
    const auto local = sys_days{date} + hours{*h} + minutes{*mi} + seconds{*s} + fraction;
    return time_point_cast<system_clock::duration>(local - offset);
}

std::string key_sha256(std::string_view presented) { return detail::to_hex(detail::raw_sha256(presented)); }

std::string generate_key() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("the random generator failed");
    return "ak_" + base64url_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

option_spec keys_file_option() {
    return option_spec{
        .name = "keys-file",
        .type = option_type::string,
        .description =
            "a keys file (relative to the config file's folder): bearer keys with identities, own folders "
            "and folder rights (docs/folders.md#keys); re-read when it changes or on SIGHUP",
    };
}

std::optional<std::filesystem::path> read_keys_file_option(const options& opts, const global_settings& global) {
    if (!opts.given("keys-file")) return std::nullopt;
    const std::string& value = opts.string("keys-file");
    if (value.empty()) opts.fail("keys-file", "cannot be empty", "a path such as keys.yaml");
    return std::filesystem::path(resolve_config_path(global, value));
}

}  // namespace araldo
