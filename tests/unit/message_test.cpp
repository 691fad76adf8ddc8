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
