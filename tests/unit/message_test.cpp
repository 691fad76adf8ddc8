#include <araldo/message.hpp>

#include <catch2/catch.hpp>

#include <set>

TEST_CASE("message ids are unique, 26 characters and sortable", "[message]") {
    std::set<std::string> seen;
    std::string previous;
    for (int i = 0; i < 10000; ++i) {
        auto id = araldo::new_message_id();
        REQUIRE(id.size() == 26);
        REQUIRE(id > previous);
        REQUIRE(seen.insert(id).second);
        previous = id;
    }
}

TEST_CASE("a message keeps what it was given and fills the rest", "[message]") {
    araldo::message::fields f;
    f.source = "chat";
    f.payload = R"({"type":"hello"})";
    f.attributes.set("type", "hello");
    f.attributes.set("type", "greeting");  // replaces, does not duplicate
    auto m = araldo::make_message(std::move(f));
    CHECK(m->id().size() == 26);
    CHECK(m->source() == "chat");
    CHECK(m->payload() == R"({"type":"hello"})");
    CHECK(m->type() == "greeting");
    CHECK(m->attributes().size() == 1);
    CHECK(m->time() != araldo::message::clock::time_point{});
    CHECK_FALSE(m->binary());
    CHECK(m->format() == nullptr);
}

TEST_CASE("valid_message_id takes RFC 3986 unreserved characters, 1 to 128 of them", "[message]") {
    CHECK(araldo::valid_message_id("01HXYZ-abc.def_ghi~9"));
    CHECK(araldo::valid_message_id(std::string(128, 'a')));
    CHECK_FALSE(araldo::valid_message_id(std::string(129, 'a')));
    CHECK_FALSE(araldo::valid_message_id(""));
    const std::string unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    for (int c = 0; c < 256; ++c) {
        const std::string id = "a" + std::string(1, static_cast<char>(c)) + "z";
        INFO("byte " << c);
        CHECK(araldo::valid_message_id(id) == (unreserved.find(static_cast<char>(c)) != std::string::npos));
    }
}
