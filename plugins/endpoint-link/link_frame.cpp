#include "link_frame.hpp"

#include <cassert>
#include <cstring>
#include <limits>

namespace araldo::plugins::endpoint_link {

namespace {

constexpr std::uint8_t flag_binary = 0x01;
// Attributes are a handful per message; a frame claiming more is not one of ours.
constexpr std::size_t max_attributes = 4096;

// Writes big-endian integers and length-prefixed strings into space the
// caller sized exactly: one allocation per frame and no per-byte capacity
// checks (every request and reply goes through here).
class writer {
public:
    explicit writer(char* at) : at_(at) {}

    void uint(std::uint64_t v, int bytes) {
        for (int i = bytes - 1; i >= 0; --i) *at_++ = static_cast<char>((v >> (8 * i)) & 0xff);
    }
    void raw(std::string_view s) {
        if (!s.empty()) std::memcpy(at_, s.data(), s.size());
        at_ += s.size();
    }
    void string(std::string_view s, int length_bytes) {
        uint(s.size(), length_bytes);
        raw(s);
    }
    const char* at() const noexcept { return at_; }

private:
    char* at_;
};

// Reads big-endian integers and length-prefixed strings, refusing to run past the end.
class reader {
public:
    explicit reader(std::string_view bytes) : rest_(bytes) {}

    bool uint(int bytes, std::uint64_t& v) {
        if (rest_.size() < static_cast<std::size_t>(bytes)) return false;
        v = 0;
        for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(rest_[static_cast<std::size_t>(i)]);
        rest_.remove_prefix(static_cast<std::size_t>(bytes));
        return true;
    }
    bool string(int length_bytes, std::string_view& s) {
        std::uint64_t n = 0;
        if (!uint(length_bytes, n) || n > rest_.size()) return false;
        s = rest_.substr(0, static_cast<std::size_t>(n));
        rest_.remove_prefix(static_cast<std::size_t>(n));
        return true;
    }
    std::string_view rest() const noexcept { return rest_; }

private:
    std::string_view rest_;
};

araldo::result<frame> bad(std::string why) { return araldo::result<frame>::fail(std::move(why)); }

araldo::result<frame> decode_message(reader& in, frame f) {
    std::uint64_t count = 0;
    if (!in.string(1, f.id)) return bad("truncated message id");
    if (!valid_message_id(f.id)) return bad("invalid message id");
    if (!in.uint(2, count)) return bad("truncated attribute count");
    if (count > max_attributes) return bad("too many attributes");
    f.attributes.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        std::string_view key;
        std::string_view value;
        if (!in.string(2, key) || !in.string(4, value)) return bad("truncated attribute");
        if (key.empty()) return bad("empty attribute name");
        f.attributes.emplace_back(key, value);
    }
    f.body = in.rest();
    return araldo::result<frame>::ok(std::move(f));
}

}  // namespace

std::string encode_message(frame_kind kind, const message& msg, std::uint64_t correlation, std::uint32_t remaining_ms) {
    const bool request = kind == frame_kind::request;
    std::size_t size = 3 + (request ? 12 : 0) + 1 + msg.id().size() + 2 + msg.payload().size();
    for (const auto& [k, v] : msg.attributes()) size += 6 + k.size() + v.size();
    std::string out(size, '\0');
    writer w(out.data());
    w.uint(wire_version, 1);
    w.uint(static_cast<std::uint8_t>(kind), 1);
    w.uint(msg.binary() ? flag_binary : 0, 1);
    if (request) {
        w.uint(correlation, 8);
        w.uint(remaining_ms, 4);
    }
    w.string(msg.id(), 1);  // ids are at most 128 characters (valid_message_id)
    w.uint(msg.attributes().size(), 2);
    for (const auto& [k, v] : msg.attributes()) {
        w.string(k, 2);
        w.string(v, 4);
    }
    w.raw(msg.payload());
    assert(w.at() == out.data() + out.size());
    return out;
}

std::string encode_reply(std::uint64_t correlation, const reply& r) {
    const auto content_type = std::string_view(r.content_type).substr(0, 255);
    std::string out(3 + 8 + 2 + 4 + 1 + content_type.size() + r.body.size(), '\0');
    writer w(out.data());
    w.uint(wire_version, 1);
    w.uint(static_cast<std::uint8_t>(frame_kind::reply), 1);
    w.uint(0, 1);
    w.uint(correlation, 8);
    w.uint(r.status, 2);
    w.uint(static_cast<std::uint32_t>(r.return_code), 4);
    w.string(content_type, 1);
    w.raw(r.body);
    assert(w.at() == out.data() + out.size());
    return out;
}

void append_to_batch(std::string& batch, std::string_view frame) {
    const bool first = batch.empty();
    const std::size_t at = batch.size();
    batch.resize(at + (first ? 3 : 0) + 4 + frame.size());
    writer w(batch.data() + at);
    if (first) {
        w.uint(wire_version, 1);
        w.uint(static_cast<std::uint8_t>(frame_kind::batch), 1);
        w.uint(0, 1);
    }
    w.string(frame, 4);
}

araldo::result<std::vector<std::string_view>> split_batch(std::string_view bytes) {
    using parts = araldo::result<std::vector<std::string_view>>;
    reader in(bytes);
    std::uint64_t version = 0;
    std::uint64_t kind = 0;
    std::uint64_t flags = 0;
    if (!in.uint(1, version) || !in.uint(1, kind) || !in.uint(1, flags)) return parts::fail("truncated header");
    if (version != wire_version) return parts::fail("unknown wire version " + std::to_string(version));
    if (kind != static_cast<std::uint64_t>(frame_kind::batch)) return parts::fail("not a batch");
    if (flags != 0) return parts::fail("a batch has no flags");
    std::vector<std::string_view> out;
    while (!in.rest().empty()) {
        std::string_view part;
        if (!in.string(4, part)) return parts::fail("truncated frame in a batch");
        if (part.size() >= 2 && static_cast<std::uint8_t>(part[1]) == static_cast<std::uint8_t>(frame_kind::batch))
            return parts::fail("a batch inside a batch");
        out.push_back(part);
    }
    if (out.empty()) return parts::fail("an empty batch");
    return parts::ok(std::move(out));
}

araldo::result<frame> decode_frame(std::string_view bytes) {
    reader in(bytes);
    std::uint64_t version = 0;
    std::uint64_t kind = 0;
    std::uint64_t flags = 0;
    if (!in.uint(1, version) || !in.uint(1, kind) || !in.uint(1, flags)) return bad("truncated header");
    if (version != wire_version) return bad("unknown wire version " + std::to_string(version));
    if ((flags & ~std::uint64_t{flag_binary}) != 0) return bad("unknown flags");
    frame f;
    f.binary = (flags & flag_binary) != 0;
    switch (kind) {
        case static_cast<std::uint64_t>(frame_kind::event):
            f.kind = frame_kind::event;
            return decode_message(in, std::move(f));
        case static_cast<std::uint64_t>(frame_kind::request): {
            f.kind = frame_kind::request;
            std::uint64_t remaining = 0;
            if (!in.uint(8, f.correlation) || !in.uint(4, remaining)) return bad("truncated request header");
            f.remaining_ms = static_cast<std::uint32_t>(remaining);
            return decode_message(in, std::move(f));
        }
        case static_cast<std::uint64_t>(frame_kind::reply): {
            f.kind = frame_kind::reply;
            std::uint64_t status = 0;
            std::uint64_t code = 0;
            if (!in.uint(8, f.correlation) || !in.uint(2, status) || !in.uint(4, code))
                return bad("truncated reply header");
            if (status < 100 || status > 599) return bad("reply status out of range");
            if (f.binary) return bad("a reply has no binary flag");
            f.status = static_cast<unsigned>(status);
            f.return_code = static_cast<int>(static_cast<std::int32_t>(static_cast<std::uint32_t>(code)));
            if (!in.string(1, f.content_type)) return bad("truncated content type");
            f.body = in.rest();
            return araldo::result<frame>::ok(std::move(f));
        }
        default: return bad("unknown frame kind " + std::to_string(kind));
    }
}

}  // namespace araldo::plugins::endpoint_link
