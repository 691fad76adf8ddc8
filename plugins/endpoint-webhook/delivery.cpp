#include "delivery.hpp"

#include <araldo/encoding.hpp>

#include <boost/json.hpp>

#include <cctype>
#include <chrono>

namespace araldo::plugins::endpoint_webhook {

namespace json = boost::json;

namespace {

// Enough to see a pattern; a delivery retried for days stays small.
constexpr std::size_t history_limit = 20;

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 4;
        if (n == 4 || i + n >= s.size()) return false;
        for (std::size_t k = 1; k <= n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n + 1;
    }
    return true;
}

// JSON strings hold text; anything else is stored as base64.
bool text_safe(const delivery& d) { return !d.binary && valid_utf8(d.payload); }

std::string str(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string{};
}

std::int64_t num(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_int64() ? it->value().get_int64() : 0;
}

}  // namespace

void delivery::record(attempt_record a) {
    last_error = a.status ? "HTTP " + std::to_string(a.status) : a.error;
    if (history.size() >= history_limit) history.erase(history.begin());
    history.push_back(std::move(a));
}

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string to_json(const delivery& d) {
    json::object o;
    o["id"] = d.id;
    o["endpoint"] = d.endpoint;
    o["source"] = d.source;
    o["time"] = d.time_ms;
    if (text_safe(d)) {
        o["payload"] = d.payload;
    } else {
        o["payload_base64"] = base64_encode(d.payload);
    }
    o["binary"] = d.binary;
    json::object attrs;
    for (const auto& [k, v] : d.attributes) attrs[k] = v;
    o["attributes"] = std::move(attrs);
    o["attempts"] = static_cast<std::int64_t>(d.attempts);
    json::array hist;
    for (const auto& a : d.history) {
        json::object h{{"time", a.at_ms}};
        if (a.status) h["status"] = a.status;
        if (!a.error.empty()) h["error"] = a.error;
        hist.push_back(std::move(h));
    }
    o["history"] = std::move(hist);
    o["last_error"] = d.last_error;
    if (d.next_at_ms) o["next_attempt"] = d.next_at_ms;
    if (d.dead_at_ms) o["dead_at"] = d.dead_at_ms;
    return json::serialize(o);
}

std::optional<delivery> delivery_from_json(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const json::object& o = v.get_object();
    delivery d;
    d.id = str(o, "id");
    if (d.id.empty()) return std::nullopt;
    d.endpoint = str(o, "endpoint");
    d.source = str(o, "source");
    d.time_ms = num(o, "time");
    if (o.contains("payload_base64")) {
        auto bytes = base64_decode(str(o, "payload_base64"));
        d.payload = bytes.value_or(std::string{});
    } else {
        d.payload = str(o, "payload");
    }
    if (auto it = o.find("binary"); it != o.end() && it->value().is_bool()) d.binary = it->value().get_bool();
    if (auto it = o.find("attributes"); it != o.end() && it->value().is_object()) {
        for (const auto& [k, val] : it->value().get_object())
            if (val.is_string()) d.attributes.emplace_back(std::string(k), std::string(val.get_string()));
    }
    d.attempts = static_cast<std::size_t>(std::max<std::int64_t>(0, num(o, "attempts")));
    if (auto it = o.find("history"); it != o.end() && it->value().is_array()) {
        for (const auto& h : it->value().get_array()) {
            if (!h.is_object()) continue;
            const auto& ho = h.get_object();
            d.history.push_back({num(ho, "time"), static_cast<unsigned>(num(ho, "status")), str(ho, "error")});
        }
    }
    d.last_error = str(o, "last_error");
    d.next_at_ms = num(o, "next_attempt");
    d.dead_at_ms = num(o, "dead_at");
    return d;
}

std::string file_name_for(std::string_view id) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : id) {
        auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '_' || c == '-') {
            out += c;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 0xF];
        }
    }
    return out;
}

bool valid_id(std::string_view id) {
    if (id.empty() || id.size() > 200 || id.find("..") != std::string_view::npos) return false;
    for (char c : id) {
        auto u = static_cast<unsigned char>(c);
        if (!std::isalnum(u) && c != '_' && c != '-' && c != '.') return false;
    }
    return true;
}

}  // namespace araldo::plugins::endpoint_webhook
