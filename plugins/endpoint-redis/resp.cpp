#include "resp.hpp"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

namespace araldo::plugins::endpoint_redis {

namespace {

resp_value convert(const redisReply& r) {
    resp_value v;
    switch (r.type) {
        case REDIS_REPLY_STRING: v.type = resp_type::string; break;
        case REDIS_REPLY_STATUS: v.type = resp_type::status; break;
        case REDIS_REPLY_ERROR: v.type = resp_type::error; break;
        case REDIS_REPLY_INTEGER: v.type = resp_type::integer; break;
        case REDIS_REPLY_ARRAY: v.type = resp_type::array; break;
        default: v.type = resp_type::nil; break;
    }
    if (v.type == resp_type::integer) {
        v.integer = r.integer;
    } else if (v.type == resp_type::array) {
        v.elements.reserve(r.elements);
        for (std::size_t i = 0; i < r.elements; ++i) v.elements.push_back(convert(*r.element[i]));
    } else if (r.str) {
        v.str.assign(r.str, static_cast<std::size_t>(r.len));
    }
    return v;
}

void append_bulk(std::string& out, std::string_view s) {
    out += '$';
    out += std::to_string(s.size());
    out += "\r\n";
    out += s;
    out += "\r\n";
}

}  // namespace

resp_reader::resp_reader(resp_limits limits) : scanner_(limits), reader_(redisReaderCreate()) {
    if (!reader_) throw std::bad_alloc();
}

resp_reader::~resp_reader() { redisReaderFree(reader_); }

void resp_reader::feed(std::string_view bytes) {
    bytes = bytes.substr(0, scanner_.feed(bytes));
    if (bytes.empty()) return;
    if (redisReaderFeed(reader_, bytes.data(), bytes.size()) != REDIS_OK) {
        throw resp_protocol_error(reader_->errstr);
    }
}

std::optional<resp_value> resp_reader::next() {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) throw resp_protocol_error(reader_->errstr);
    if (!raw) {
        if (scanner_.failed()) throw resp_protocol_error(scanner_.violation());
        return std::nullopt;
    }
    auto* reply = static_cast<redisReply*>(raw);
    // convert() may throw bad_alloc: the reply is freed either way.
    struct guard {
        redisReply* r;
        ~guard() { freeReplyObject(r); }
    } g{reply};
    return convert(*reply);
}

void append_command(std::string& out, const std::vector<std::string_view>& args) {
    out += '*';
    out += std::to_string(args.size());
    out += "\r\n";
    for (auto a : args) append_bulk(out, a);
}

std::string encode_command(const std::vector<std::string_view>& args) {
    std::string out;
    append_command(out, args);
    return out;
}

void append_publish(std::string& out, std::string_view channel, std::string_view payload) {
    out += "*3\r\n$7\r\nPUBLISH\r\n";
    append_bulk(out, channel);
    append_bulk(out, payload);
}

}  // namespace araldo::plugins::endpoint_redis
