#include "delivery.hpp"

#include <araldo/encoding.hpp>
#include <araldo/utf8.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>

namespace araldo::plugins::endpoint_webhook {

namespace json = boost::json;

namespace {

// Enough to see a pattern; a delivery retried for days stays small.
constexpr std::size_t history_limit = 20;

// Text goes in as it is; anything Boost.JSON would not read back (bytes that
// are not UTF-8) as base64 under "<key>_base64".
void put_text(json::object& o, std::string_view key, std::string_view s) {
    if (araldo::valid_utf8(s)) {
        o[key] = s;
    } else {
        o[std::string(key) + "_base64"] = base64_encode(s);
    }
}

// nullopt when the key is there but unreadable (not a string, bad base64).
std::optional<std::string> get_text(const json::object& o, std::string_view key) {
    if (auto it = o.find(key); it != o.end()) {
        if (!it->value().is_string()) return std::nullopt;
        return std::string(it->value().get_string());
    }
    if (auto it = o.find(std::string(key) + "_base64"); it != o.end()) {
        if (!it->value().is_string()) return std::nullopt;
        return base64_decode(it->value().get_string());
    }
    return std::string{};
}

std::int64_t num(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_int64() ? it->value().get_int64() : 0;
}

bool all_text(const string_pairs& pairs) {
    return std::all_of(pairs.begin(), pairs.end(),
                       [](const auto& p) { return araldo::valid_utf8(p.first) && araldo::valid_utf8(p.second); });
}

json::value attributes_json(const string_pairs& attrs, bool text) {
    if (text) {
        json::object o;
        for (const auto& [k, v] : attrs) o[k] = v;
        return o;
    }
    json::array a;
    for (const auto& [k, v] : attrs)
        a.push_back(json::array{json::string(base64_encode(k)), json::string(base64_encode(v))});
    return a;
}

bool read_attributes(const json::object& o, string_pairs& out) {
    if (auto it = o.find("attributes"); it != o.end()) {
        if (!it->value().is_object()) return false;
        for (const auto& [k, val] : it->value().get_object()) {
            if (!val.is_string()) return false;
            out.emplace_back(std::string(k), std::string(val.get_string()));
        }
    }
    if (auto it = o.find("attributes_base64"); it != o.end()) {
        if (!it->value().is_array()) return false;
        for (const auto& pair : it->value().get_array()) {
            const json::array* kv = pair.if_array();
            if (!kv || kv->size() != 2 || !(*kv)[0].is_string() || !(*kv)[1].is_string()) return false;
            auto k = base64_decode((*kv)[0].get_string());
            auto v = base64_decode((*kv)[1].get_string());
            if (!k || !v) return false;
            out.emplace_back(std::move(*k), std::move(*v));
        }
    }
    return true;
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
    put_text(o, "id", d.id);
    put_text(o, "endpoint", d.endpoint);
    put_text(o, "source", d.source);
    o["time"] = d.time_ms;
    if (d.binary) {
        o["payload_base64"] = base64_encode(d.payload);
    } else {
        put_text(o, "payload", d.payload);
    }
    o["binary"] = d.binary;
    bool text = all_text(d.attributes);
    o[text ? "attributes" : "attributes_base64"] = attributes_json(d.attributes, text);
    o["attempts"] = static_cast<std::int64_t>(d.attempts);
    json::array hist;
    for (const auto& a : d.history) {
        json::object h{{"time", a.at_ms}};
        if (a.status) h["status"] = a.status;
        if (!a.error.empty()) put_text(h, "error", a.error);
        hist.push_back(std::move(h));
    }
    o["history"] = std::move(hist);
    put_text(o, "last_error", d.last_error);
    if (d.next_at_ms) o["next_attempt"] = d.next_at_ms;
    if (d.dead_at_ms) o["dead_at"] = d.dead_at_ms;
    return json::serialize(o);
}

std::optional<delivery> delivery_from_json(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return std::nullopt;
    return delivery_from_json(v);
}

std::optional<delivery> delivery_from_json(const json::value& v) {
    const json::object* o = v.if_object();
    if (!o) return std::nullopt;
    delivery d;
    auto id = get_text(*o, "id"), endpoint = get_text(*o, "endpoint"), source = get_text(*o, "source");
    auto payload = get_text(*o, "payload"), last_error = get_text(*o, "last_error");
    if (!id || id->empty() || !endpoint || !source || !payload || !last_error) return std::nullopt;
    d.id = std::move(*id);
    d.endpoint = std::move(*endpoint);
    d.source = std::move(*source);
    d.payload = std::move(*payload);
    d.last_error = std::move(*last_error);
    d.time_ms = num(*o, "time");
    if (auto it = o->find("binary"); it != o->end() && it->value().is_bool()) d.binary = it->value().get_bool();
    if (!read_attributes(*o, d.attributes)) return std::nullopt;
    d.attempts = static_cast<std::size_t>(std::max<std::int64_t>(0, num(*o, "attempts")));
    if (auto it = o->find("history"); it != o->end() && it->value().is_array()) {
        for (const auto& h : it->value().get_array()) {
            const json::object* ho = h.if_object();
            if (!ho) continue;
            auto error = get_text(*ho, "error");
            d.history.push_back({num(*ho, "time"), static_cast<unsigned>(num(*ho, "status")), error.value_or("")});
        }
    }
    d.next_at_ms = num(*o, "next_attempt");
    d.dead_at_ms = num(*o, "dead_at");
    return d;
}

std::string file_name_for(std::string_view id) {
    return araldo::percent_encode(id, araldo::percent_keep::alnum_dash_underscore);
}

}  // namespace araldo::plugins::endpoint_webhook
