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

// The handler of a basic_parser that keeps nothing but the top-level "type"
// and "folder". basic_parser enforces the depth limit; the handler tracks
// depth only to know when a key belongs to the top-level object.
class scan_handler {
public:
    static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();

    explicit scan_handler(bool want_fields) : want_fields_(want_fields) {}

    void take(scan_result& r) {
        r.type = std::move(type_);
        r.folder = std::move(folder_);
        r.folder_kind = folder_kind_;
    }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&) { return begin_container(); }
    bool on_array_end(std::size_t, error_code&) { return end_container(); }
    bool on_object_begin(error_code&) { return begin_container(); }
    bool on_object_end(std::size_t, error_code&) { return end_container(); }

    bool on_string_part(string_view s, std::size_t, error_code&) {
        if (capturing_ != field::none) value_.append(s.data(), s.size());
        return true;
    }
    bool on_string(string_view s, std::size_t, error_code&) {
        if (capturing_ == field::none) return true;
        value_.append(s.data(), s.size());
        // A later field of the same name replaces an earlier one, as JSON.parse does.
        if (capturing_ == field::type) {
            type_ = std::move(value_);
        } else {
            folder_ = std::move(value_);
            folder_kind_ = folder_field::string;
        }
        value_.clear();
        capturing_ = field::none;
        return true;
    }

    bool on_key_part(string_view s, std::size_t n, error_code&) { return collect_key(s, n); }
    bool on_key(string_view s, std::size_t n, error_code&) {
        collect_key(s, n);
        capturing_ = field::none;
        if (want_fields_ && depth_ == 1) {
            if (n == 4 && key_ == "type") capturing_ = field::type;
            if (n == 6 && key_ == "folder") capturing_ = field::folder;
        }
        key_.clear();
        return true;
    }

    bool on_number_part(string_view, error_code&) { return other_value(folder_field::not_string); }
    bool on_int64(std::int64_t, string_view, error_code&) { return other_value(folder_field::not_string); }
    bool on_uint64(std::uint64_t, string_view, error_code&) { return other_value(folder_field::not_string); }
    bool on_double(double, string_view, error_code&) { return other_value(folder_field::not_string); }
    bool on_bool(bool, error_code&) { return other_value(folder_field::not_string); }
    bool on_null(error_code&) { return other_value(folder_field::null); }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

private:
    enum class field { none, type, folder };

    bool begin_container() {
        other_value(folder_field::not_string);  // "type" holding an object or array is not a type
        ++depth_;
        return true;
    }
    bool end_container() {
        --depth_;
        return true;
    }
    bool other_value(folder_field kind) {
        if (capturing_ == field::folder) {
            folder_.reset();
            folder_kind_ = kind;
        }
        capturing_ = field::none;
        return true;
    }
    // Keys longer than "folder" are never stored: n is the key's length so far.
    bool collect_key(string_view s, std::size_t n) {
        if (want_fields_ && depth_ == 1 && n <= 6) key_.append(s.data(), s.size());
        return true;
    }

    bool want_fields_;
    field capturing_ = field::none;
    std::size_t depth_ = 0;
    std::string key_;    // at most 6 characters: stays in the small-string buffer
    std::string value_;  // the "type" or "folder" value being collected
    std::optional<std::string> type_;
    std::optional<std::string> folder_;
    folder_field folder_kind_ = folder_field::absent;
};

}  // namespace

scan_result scan_json(std::string_view bytes, std::size_t max_depth, bool want_fields) {
    json::parse_options opt;  // strict RFC 8259 unless told otherwise
    opt.max_depth = max_depth;
    json::basic_parser<scan_handler> parser(opt, want_fields);

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
    parser.handler().take(r);
    return r;
}

}  // namespace araldo::plugins::marshal_json
