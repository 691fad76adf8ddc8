#include <araldo/http.hpp>
#include <araldo/json.hpp>
#include <araldo/request.hpp>

#include "query_string.hpp"

#include <boost/core/demangle.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <exception>
#include <typeinfo>

namespace araldo {

reply reply::exception(std::string_view what, std::string_view cls, int return_code) {
    std::string body = "{\"exception\":{\"message\":";
    append_json_string(body, what);
    body += ",\"class\":";
    append_json_string(body, cls);
    body += "}}";
    return reply{502, "application/json", std::move(body), return_code == 0 ? 1 : return_code};
}

reply reply::error(unsigned status, std::string_view why) {
    return reply{status, "application/json", http_response::error(status, why).body, -1};
}

reply_path::reply_path(clock::time_point deadline, handler on_reply)
    : deadline_(deadline), on_reply_(std::move(on_reply)) {}

reply_path::~reply_path() {
    if (answered_ || !on_reply_) return;
    try {
        on_reply_(no_responder());
    } catch (...) {  // a destructor must not throw; the handler's contract forbids it anyway
    }
}

std::shared_ptr<reply_path> reply_path::make(clock::time_point deadline, handler on_reply) {
    return std::make_shared<reply_path>(deadline, std::move(on_reply));
}

bool reply_path::answer(reply r) {
    if (answered_) return false;
    answered_ = true;
    if (on_reply_) on_reply_(std::move(r));
    on_reply_ = nullptr;  // what it captured goes now, not with the last message
    return true;
}

reply reply_path::no_responder() { return reply::error(503, "no responder answered the request"); }

namespace {

std::string handler_name_of(std::string_view method, std::string_view noun) {
    std::string name;
    name.reserve(method.size() + 1 + noun.size());
    for (char c : method) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    name += '_';
    for (char c : noun) name += c == '/' ? '_' : c;
    return name;
}

}  // namespace

std::string request_view::handler_name() const { return handler_name_of(method, noun); }

std::optional<std::string> request_view::query_param(std::string_view name) const {
    return detail::find_query_param(query, name);
}

void set_request_attributes(attributes& attrs, std::string_view method, std::string_view noun,
                            const std::vector<std::string>& args, std::string_view query,
                            std::string_view content_type) {
    std::string list = "[";
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i) list += ',';
        append_json_string(list, args[i]);
    }
    list += ']';
    attrs.set(std::string(request_attributes::method), std::string(method));
    attrs.set(std::string(request_attributes::noun), std::string(noun));
    attrs.set(std::string(request_attributes::args), std::move(list));
    attrs.set(std::string(request_attributes::query), std::string(query));
    attrs.set(std::string(request_attributes::content_type), std::string(content_type));
    // So that a route's `type` filter can send get_time to one responder and
    // post_files_report to another.
    attrs.set("type", handler_name_of(method, noun));
}

namespace {

std::vector<std::string> parse_args(std::string_view text) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(text, ec);
    if (ec || !v.is_array()) return out;
    for (const auto& e : v.get_array()) {
        if (!e.is_string()) return {};
        out.emplace_back(e.get_string());
    }
    return out;
}

}  // namespace

std::optional<request_view> read_request(const message& msg) {
    const auto& a = msg.attributes();
    const auto method = a.get(request_attributes::method);
    if (!method) return std::nullopt;
    request_view r;
    r.method = std::string(*method);
    r.noun = std::string(a.get(request_attributes::noun).value_or(""));
    r.args = parse_args(a.get(request_attributes::args).value_or("[]"));
    r.query = std::string(a.get(request_attributes::query).value_or(""));
    r.content_type = std::string(a.get(request_attributes::content_type).value_or(""));
    r.body = msg.payload();
    return r;
}

void request_dispatch::on(std::string name, handler h) {
    for (auto& [n, existing] : handlers_) {
        if (n == name) {
            existing = std::move(h);
            return;
        }
    }
    handlers_.emplace_back(std::move(name), std::move(h));
}

reply request_dispatch::respond(const request_view& req) const {
    const std::string name = req.handler_name();
    for (const auto& [n, h] : handlers_) {
        if (n != name) continue;
        try {
            return h(req);
        } catch (const std::exception& e) {
            return reply::exception(e.what(), boost::core::demangle(typeid(e).name()));
        } catch (...) {
            return reply::exception("unknown exception", "unknown");
        }
    }
    return reply::error(404, "no handler " + name);
}

bool request_dispatch::deliver(const message& msg) const {
    const auto& to = msg.reply_to();
    if (!to) return false;
    const auto req = read_request(msg);
    if (!req) return to->answer(reply::error(400, "the message expects a reply but carries no request.method"));
    return to->answer(respond(*req));
}

}  // namespace araldo
