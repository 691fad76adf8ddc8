#include "json_scan.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/parse_options.hpp>

#include <cstdint>
#include <limits>

namespace araldo::plugins::marshal_json {

namespace {

namespace json = boost::json;
using json::error_code;
using json::string_view;

// The handler of a basic_parser that keeps nothing but the top-level "type".
// basic_parser enforces the depth limit; the handler tracks depth only to know
// when a key belongs to the top-level object.
class scan_handler {
public:
    static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();

    explicit scan_handler(bool want_type) : want_type_(want_type) {}

    std::optional<std::string>& type() { return type_; }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&) { return begin_container(); }
    bool on_array_end(std::size_t, error_code&) { return end_container(); }
    bool on_object_begin(error_code&) { return begin_container(); }
    bool on_object_end(std::size_t, error_code&) { return end_container(); }

    bool on_string_part(string_view s, std::size_t, error_code&) {
        if (capturing_) value_.append(s.data(), s.size());
        return true;
    }
    bool on_string(string_view s, std::size_t, error_code&) {
        if (capturing_) {
            value_.append(s.data(), s.size());
            type_ = std::move(value_);  // a later "type" replaces it, as JSON.parse does
            value_.clear();
            capturing_ = false;
        }
        return true;
    }

    bool on_key_part(string_view s, std::size_t n, error_code&) { return collect_key(s, n); }
    bool on_key(string_view s, std::size_t n, error_code&) {
        collect_key(s, n);
        capturing_ = want_type_ && depth_ == 1 && n == 4 && key_ == "type";
        key_.clear();
        return true;
    }

    bool on_number_part(string_view, error_code&) { return other_value(); }
    bool on_int64(std::int64_t, string_view, error_code&) { return other_value(); }
    bool on_uint64(std::uint64_t, string_view, error_code&) { return other_value(); }
    bool on_double(double, string_view, error_code&) { return other_value(); }
    bool on_bool(bool, error_code&) { return other_value(); }
    bool on_null(error_code&) { return other_value(); }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

private:
    bool begin_container() {
        capturing_ = false;  // "type" holding an object or array is not a type
        ++depth_;
        return true;
    }
    bool end_container() {
        --depth_;
        return true;
    }
    bool other_value() {
        capturing_ = false;
        return true;
    }
    // Keys longer than "type" are never stored: n is the key's length so far.
    bool collect_key(string_view s, std::size_t n) {
        if (want_type_ && depth_ == 1 && n <= 4) key_.append(s.data(), s.size());
        return true;
    }

    bool want_type_;
    bool capturing_ = false;
    std::size_t depth_ = 0;
    std::string key_;    // at most 4 characters: stays in the small-string buffer
    std::string value_;  // the "type" value being collected
    std::optional<std::string> type_;
};

}  // namespace

scan_result scan_json(std::string_view bytes, std::size_t max_depth, bool want_type) {
    json::parse_options opt;  // strict RFC 8259 unless told otherwise
    opt.max_depth = max_depth;
    json::basic_parser<scan_handler> parser(opt, want_type);

    error_code ec;
    std::size_t n = parser.write_some(false, bytes.data(), bytes.size(), ec);
    // write_some stops after one complete value; what follows it is an error.
    if (!ec && n < bytes.size()) ec = json::error::extra_data;

    scan_result r;
    if (ec) {
        r.ok = false;
        r.offset = n;
        r.error = ec.message();
        return r;
    }
    r.type = std::move(parser.handler().type());
    return r;
}

}  // namespace araldo::plugins::marshal_json
