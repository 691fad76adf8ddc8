#include "ws_folder_protocol.hpp"

#include <araldo/folder.hpp>
#include <araldo/json.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>

namespace araldo::plugins::endpoint_websocket {

namespace json = boost::json;

namespace {

std::optional<std::uint64_t> unsigned_of(const json::value& v) {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    return std::nullopt;
}

// {"offset": N, "epoch": "..."}, with "folder" when `named`.
std::optional<resume_point> read_resume_point(const json::value& v, bool named, std::string& error) {
    const auto* o = v.if_object();
    const json::value* offset = o ? o->if_contains("offset") : nullptr;
    const json::value* epoch = o ? o->if_contains("epoch") : nullptr;
    const auto n = offset ? unsigned_of(*offset) : std::nullopt;
    if (!n || epoch == nullptr || !epoch->is_string()) {
        error = R"("since" needs "offset" (a number of 0 or more) and "epoch" (a string), as the messages carry them)";
        return std::nullopt;
    }
    resume_point p{.offset = *n, .epoch = std::string{epoch->get_string()}};
    if (named) {
        const json::value* folder = o->if_contains("folder");
        if (folder == nullptr || !folder->is_string()) {
            error = R"(each entry of a "since" list needs its "folder")";
            return std::nullopt;
        }
        p.folder = std::string{folder->get_string()};
        if (auto ok = araldo::valid_folder(p.folder); !ok) {
            error = "invalid folder in \"since\": " + ok.reason();
            return std::nullopt;
        }
    }
    return p;
}

subscription_request read_subscription(const json::value& v) {
    subscription_request r;
    const auto* o = v.if_object();
    if (o == nullptr) {
        r.error = "each subscription is an object with a \"folder\"";
        return r;
    }
    const json::value* folder = o->if_contains("folder");
    if (folder == nullptr || !folder->is_string()) {
        r.error = R"(a subscription needs a "folder" string such as "/acme/greenhouse")";
        return r;
    }
    r.sub.folder = std::string{folder->get_string()};
    if (auto ok = araldo::valid_folder(r.sub.folder); !ok) {
        r.error = "invalid folder: " + ok.reason();
        return r;
    }
    if (const json::value* c = o->if_contains("include_children"); c != nullptr && !c->is_null()) {
        if (!c->is_bool()) {
            r.error = R"("include_children" must be true or false)";
            return r;
        }
        r.sub.include_children = c->get_bool();
    }
    if (const json::value* t = o->if_contains("message_type"); t != nullptr && !t->is_null()) {
        if (!t->is_string() || t->get_string().empty()) {
            r.error = R"("message_type" must be a non-empty string)";
            return r;
        }
        r.sub.message_type = std::string{t->get_string()};
    }
    if (const json::value* s = o->if_contains("since"); s != nullptr && !s->is_null()) {
        if (const auto* list = s->if_array()) {
            for (const auto& entry : *list) {
                auto p = read_resume_point(entry, true, r.error);
                if (!p) return r;
                r.since.push_back(std::move(*p));
            }
        } else {
            auto p = read_resume_point(*s, false, r.error);
            if (!p) return r;
            p->folder = r.sub.folder;
            r.since.push_back(std::move(*p));
        }
    }
    return r;
}

void append_subscription(std::string& out, const folder_subscription& s) {
    out += R"({"folder":)";
    append_json_string(out, s.folder);
    out += s.include_children ? R"(,"include_children":true)" : R"(,"include_children":false)";
    if (!s.message_type.empty()) {
        out += R"(,"message_type":)";
        append_json_string(out, s.message_type);
    }
}

void append_member(std::string& out, std::string_view name, std::string_view value) {
    out += ',';
    append_json_string(out, name);
    out += ':';
    if (value.empty()) out += "null";
    else append_json_string(out, value);
}

}  // namespace

client_request parse_client_request(std::string_view text) {
    client_request r;
    // A client's message is mostly small: parse it without touching the heap.
    std::array<unsigned char, 4096> room;
    json::monotonic_resource memory{room.data(), room.size()};
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec, &memory);
    const auto* o = ec ? nullptr : v.if_object();
    if (o == nullptr) return r;
    if (const json::value* f = o->if_contains("folder"); f != nullptr && f->is_string())
        r.folder = std::string{f->get_string()};
    const json::value* type = o->if_contains("type");
    if (type == nullptr || !type->is_string()) return r;
    if (type->get_string() == "subscribe") r.what = client_request::kind::subscribe;
    else if (type->get_string() == "unsubscribe") r.what = client_request::kind::unsubscribe;
    else return r;
    const json::value* params = o->if_contains("parameters");
    const json::value* subs =
        params && params->is_object() ? params->as_object().if_contains("subscriptions") : nullptr;
    if (subs == nullptr || !subs->is_array() || subs->as_array().empty()) {
        r.error = R"(expected "parameters": {"subscriptions": [{"folder": ...}, ...]})";
        return r;
    }
    for (const auto& s : subs->as_array()) r.subscriptions.push_back(read_subscription(s));
    return r;
}

std::string connect_json(std::uint64_t client, std::string_view identity, std::string_view folder) {
    std::string out = R"({"type":"connect","parameters":{"client":")";
    out += std::to_string(client);
    out += '"';
    append_member(out, "identity", identity);
    append_member(out, "folder", folder);
    out += "}}";
    return out;
}

std::string subscriptions_json(std::string_view type, const std::vector<subscription_reply>& subs) {
    std::string out = R"({"type":)";
    append_json_string(out, type);
    out += R"(,"parameters":{"subscriptions":[)";
    bool first = true;
    for (const auto& s : subs) {
        if (!first) out += ',';
        first = false;
        append_subscription(out, *s.sub);
        if (s.recovered) out += *s.recovered ? R"(,"recovered":true)" : R"(,"recovered":false)";
        if (s.offset) {
            out += R"(,"offset":)";
            out += std::to_string(*s.offset);
            out += R"(,"epoch":)";
            append_json_string(out, s.epoch);
        }
        out += '}';
    }
    out += "]}}";
    return out;
}

std::string request_error_json(std::string_view request, std::string_view folder, std::string_view message) {
    std::string out = R"({"type":"error","parameters":{"request":)";
    append_json_string(out, request);
    append_member(out, "folder", folder);
    out += R"(,"message":)";
    append_json_string(out, message);
    out += "}}";
    return out;
}

std::optional<std::string> stamp_message(std::string_view bytes, const delivery_stamp& stamp) {
    std::array<unsigned char, 4096> room;
    json::monotonic_resource memory{room.data(), room.size()};
    boost::system::error_code ec;
    json::value v = json::parse(bytes, ec, &memory);
    if (ec || !v.is_object()) return std::nullopt;
    auto& o = v.as_object();
    const bool has_members = o.contains("folder") || (stamp.offset && (o.contains("offset") || o.contains("epoch")));
    if (has_members) {
        // Rare: the object names them itself. Rewritten rather than given a
        // second member of the same name, which parsers read differently.
        o["folder"] = stamp.folder;
        if (stamp.offset) {
            o["offset"] = *stamp.offset;
            o["epoch"] = stamp.epoch;
        }
        return json::serialize(v);
    }
    // Usual: the members go before the closing brace, the bytes stay as they were.
    const auto close = bytes.find_last_of('}');
    std::string out;
    out.reserve(bytes.size() + stamp.folder.size() + stamp.epoch.size() + 48);
    out.append(bytes.substr(0, close));
    if (!o.empty()) out += ',';
    out += R"("folder":)";
    append_json_string(out, stamp.folder);
    if (stamp.offset) {
        out += R"(,"offset":)";
        out += std::to_string(*stamp.offset);
        out += R"(,"epoch":)";
        append_json_string(out, stamp.epoch);
    }
    out += bytes.substr(close);
    return out;
}

}  // namespace araldo::plugins::endpoint_websocket
