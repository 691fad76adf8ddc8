// The scanner and hiredis must frame a stream the same way: if they disagreed
// on where a reply ends, a stream the scanner passes could hide a header it
// never checked. Random RESP2, valid and mutated, fed in random pieces (fixed
// seed): every byte the scanner accepts, hiredis parses without error into
// exactly the replies the scanner counted.
#include "resp_scanner.hpp"

#include <catch2/catch.hpp>

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <memory>
#include <random>
#include <string>

using namespace araldo::plugins::endpoint_redis;

namespace {

class generator {
public:
    explicit generator(unsigned seed) : rng_(seed) {}

    int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
    char one_of(std::string_view chars) {
        return chars[static_cast<std::size_t>(below(static_cast<int>(chars.size())))];
    }

    std::string value(int depth) {
        switch (below(depth < 3 ? 7 : 5)) {
            case 0: return "+" + std::string(static_cast<std::size_t>(below(12)), one_of("ab\r-:")) + "\r\n";
            case 1: return "-ERR " + std::to_string(below(1000)) + "\r\n";
            case 2: return ":" + std::string(below(2) ? "-" : "") + std::to_string(rng_()) + "\r\n";
            case 3: {
                const int n = below(20);
                std::string payload;
                for (int i = 0; i < n; ++i) payload += one_of("\r\nx$*");
                return "$" + std::to_string(n) + "\r\n" + payload + "\r\n";
            }
            case 4: return below(2) ? "$-1\r\n" : "*-1\r\n";
            default: {
                const int n = below(6);
                std::string s = "*" + std::to_string(n) + "\r\n";
                for (int i = 0; i < n; ++i) s += value(depth + 1);
                return s;
            }
        }
    }

    // A few replies, then up to two bytes changed, dropped or inserted.
    std::string stream() {
        std::string w;
        for (int i = below(4); i >= 0; --i) w += value(0);
        for (int m = below(3); m > 0 && !w.empty(); --m) {
            const auto at = static_cast<std::size_t>(below(static_cast<int>(w.size())));
            switch (below(3)) {
                case 0: w[at] = one_of("\r\n0123456789-+$*:x"); break;
                case 1: w.erase(at, 1); break;
                default: w.insert(at, 1, one_of("\r\n90-$*"));
            }
        }
        return w;
    }

private:
    std::mt19937 rng_;
};

struct reader_deleter {
    void operator()(redisReader* r) const { redisReaderFree(r); }
};

}  // namespace

TEST_CASE("what the scanner accepts, hiredis frames the same way", "[redis][scanner]") {
    generator gen(20261202);
    resp_limits limits;
    limits.max_bulk = 15;
    limits.max_elements = 4;
    limits.max_depth = 2;  // deeper than the endpoint allows, to exercise nesting
    limits.max_line = 10;
    std::size_t accepted_streams = 0;
    for (int iteration = 0; iteration < 50000; ++iteration) {
        const std::string wire = gen.stream();
        resp_scanner scanner(limits);
        std::size_t accepted = 0;
        for (std::size_t from = 0; from < wire.size();) {
            const auto piece = std::string_view(wire).substr(from, static_cast<std::size_t>(1 + gen.below(8)));
            const std::size_t n = scanner.feed(piece);
            accepted += n;
            if (n < piece.size()) break;
            from += piece.size();
        }
        if (!scanner.failed()) ++accepted_streams;

        std::unique_ptr<redisReader, reader_deleter> reader(redisReaderCreate());
        REQUIRE(redisReaderFeed(reader.get(), wire.data(), accepted) == REDIS_OK);
        std::uint64_t replies = 0;
        for (;;) {
            void* reply = nullptr;
            INFO("accepted bytes: " << wire.substr(0, accepted));
            REQUIRE(redisReaderGetReply(reader.get(), &reply) == REDIS_OK);
            if (!reply) break;
            freeReplyObject(reply);
            ++replies;
        }
        REQUIRE(replies == scanner.replies());
    }
    // Both kinds of stream were exercised in quantity.
    CHECK(accepted_streams > 10000);
    CHECK(accepted_streams < 40000);
}
