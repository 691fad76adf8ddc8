// Folder mode's parts without sockets: the subscription index, the history
// rings, and the protocol's parsing and stamping.
#include "ws_folder_index.hpp"
#include "ws_folder_protocol.hpp"
#include "ws_history.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

using namespace araldo::plugins::endpoint_websocket;

namespace {

struct client : folder_subscriber {
    int id = 0;
};

std::vector<int> listeners(folder_index& index, std::string_view folder, std::string_view type = "t") {
    std::vector<int> ids;
    index.for_each_listener(folder, type, [&](folder_subscriber& s) { ids.push_back(static_cast<client&>(s).id); });
    std::sort(ids.begin(), ids.end());
    return ids;
}

folder_subscription sub(std::string folder, bool children = false, std::string type = {}) {
    return {std::move(folder), children, std::move(type)};
}

}  // namespace

TEST_CASE("folder index: exact, children, types, each listener once") {
    folder_index index;
    client a, b, c, d;
    a.id = 1, b.id = 2, c.id = 3, d.id = 4;
    REQUIRE(index.add(a, sub("/acme/greenhouse")));
    REQUIRE(index.add(b, sub("/acme", true)));
    REQUIRE(index.add(c, sub("/acme", true, "sensor")));
    REQUIRE(index.add(d, sub("/", true)));
    // The same subscription twice is one; a parent and a child both matching: one delivery.
    REQUIRE_FALSE(index.add(a, sub("/acme/greenhouse")));
    REQUIRE(index.add(b, sub("/acme/greenhouse")));
    CHECK(index.subscriptions() == 5);

    CHECK(listeners(index, "/acme/greenhouse") == std::vector{1, 2, 4});
    CHECK(listeners(index, "/acme/greenhouse", "sensor") == std::vector{1, 2, 3, 4});
    CHECK(listeners(index, "/acme/greenhouse/pi-7", "sensor") == std::vector{2, 3, 4});
    CHECK(listeners(index, "/acme") == std::vector{2, 4});
    CHECK(listeners(index, "/acme-corp") == std::vector{4});
    CHECK(listeners(index, "/") == std::vector{4});

    REQUIRE(index.remove(b, sub("/acme", true)));
    REQUIRE_FALSE(index.remove(b, sub("/acme", true)));
    CHECK(listeners(index, "/acme/greenhouse/pi-7") == std::vector{4});
    CHECK(listeners(index, "/acme/greenhouse") == std::vector{1, 2, 4});
    index.remove_all(d);
    CHECK(listeners(index, "/x").empty());
    CHECK(d.subscriptions().empty());
}

TEST_CASE("folder index: random adds and removes keep both sides consistent") {
    folder_index index;
    std::vector<client> clients(20);
    for (int i = 0; i < 20; ++i) clients[static_cast<std::size_t>(i)].id = i;
    const std::vector<std::string> folders{"/a", "/a/b", "/a/b/c", "/d", "/"};
    std::mt19937 rng{7};
    for (int step = 0; step < 5000; ++step) {
        auto& who = clients[rng() % clients.size()];
        auto s = sub(folders[rng() % folders.size()], rng() % 2 == 0);
        if (rng() % 3 == 0) index.remove_all(who);
        else if (rng() % 2 == 0) index.add(who, s);
        else index.remove(who, s);
    }
    // What the index says equals what each client holds.
    for (const auto& f : std::vector<std::string>{"/a/b/c/d", "/a/b", "/d", "/e"}) {
        std::vector<int> expected;
        for (const auto& c : clients) {
            const bool hears = std::any_of(c.subscriptions().begin(), c.subscriptions().end(), [&](const auto& s) {
                if (s.folder == f) return true;
                if (!s.include_children) return false;
                return s.folder == "/" || (f.starts_with(s.folder) && f[s.folder.size()] == '/');
            });
            if (hears) expected.push_back(c.id);
        }
        CHECK(listeners(index, f) == expected);
    }
    std::size_t held = 0;
    for (auto& c : clients) held += c.subscriptions().size();
    CHECK(index.subscriptions() == held);
    for (auto& c : clients) index.remove_all(c);
    CHECK(index.folders() == 0);
}

namespace {

const auto anyone = [](std::string_view) { return true; };

folder_history::missed since(folder_history& h, std::string_view folder, std::uint64_t offset, std::string_view epoch,
                             folder_history::clock::time_point now) {
    return h.resume(folder, false, {{.folder = folder, .offset = offset, .epoch = epoch}}, now, anyone);
}

std::vector<std::string> frames(const folder_history::missed& m) {
    std::vector<std::string> out;
    for (const auto* i : m.items) out.push_back(*i->frame);
    return out;
}

}  // namespace

TEST_CASE("history: offsets per folder, what was missed, too late, another epoch") {
    folder_history h{history_settings{.size = 3, .ttl = std::chrono::seconds(60)}};
    const auto t0 = folder_history::clock::now();
    for (int i = 1; i <= 5; ++i) {
        const auto at = h.next("/f", t0);
        CHECK(at.offset == static_cast<std::uint64_t>(i));
        h.record("/f", "t", make_frame(std::to_string(i)), t0);
    }
    const std::string epoch{h.current("/f")->epoch};
    CHECK(h.current("/f")->offset == 5);
    CHECK(h.next("/g", t0).offset == 1);  // another folder counts on its own
    CHECK(h.current("/g")->epoch != epoch);

    auto m = since(h, "/f", 3, epoch, t0);
    REQUIRE(m.recovered);
    CHECK(frames(m) == std::vector<std::string>{"4", "5"});
    CHECK(since(h, "/f", 5, epoch, t0).recovered);  // up to date
    CHECK(since(h, "/f", 5, epoch, t0).items.empty());
    CHECK(since(h, "/f", 2, epoch, t0).recovered);        // offset 3 is the oldest kept
    CHECK_FALSE(since(h, "/f", 1, epoch, t0).recovered);  // offset 2 is gone
    CHECK_FALSE(since(h, "/f", 6, epoch, t0).recovered);  // never given
    CHECK_FALSE(since(h, "/f", 3, "other", t0).recovered);
    CHECK_FALSE(since(h, "/none", 0, epoch, t0).recovered);
    CHECK(h.messages() == 3);

    // Past ttl: the messages go, then the idle folder with its epoch.
    const auto later = t0 + std::chrono::seconds(61);
    CHECK_FALSE(since(h, "/f", 3, epoch, later).recovered);
    h.expire(later);
    CHECK(h.folders() == 0);
    CHECK(h.messages() == 0);
    CHECK(h.next("/f", later).offset == 1);
    CHECK(h.current("/f")->epoch != epoch);
}

TEST_CASE("history: with children, folders the client never heard of count from its latest point") {
    folder_history h{history_settings{.size = 10, .ttl = std::chrono::seconds(60)}};
    const auto t0 = folder_history::clock::now();
    const auto put = [&](std::string_view folder, std::string text) {
        h.next(folder, t0);
        h.record(folder, "t", make_frame(std::move(text)), t0);
    };
    put("/x/old", "before");              // before the subscription
    const auto root = h.start("/x", t0);  // subscribed: /x at offset 0
    const std::string root_epoch{root.epoch};
    put("/x/a", "a1");
    put("/y", "elsewhere");
    put("/x/a", "a2");  // the client heard a1 and a2, then left
    const std::string a_epoch{h.current("/x/a")->epoch};
    put("/x/b", "b1");  // new folder while away
    put("/x/a", "a3");
    put("/x/old", "old2");
    put("/x", "root1");
    put("/x-not-below", "no");

    const std::vector<folder_history::point> points{{.folder = "/x", .offset = 0, .epoch = root_epoch},
                                                    {.folder = "/x/a", .offset = 2, .epoch = a_epoch}};
    auto m = h.resume("/x", true, points, t0, anyone);
    REQUIRE(m.recovered);
    CHECK(frames(m) == std::vector<std::string>{"b1", "a3", "old2", "root1"});
    // Only the root's point: everything below after it, "before" excluded.
    m = h.resume("/x", true, {{.folder = "/x", .offset = 0, .epoch = root_epoch}}, t0, anyone);
    CHECK(frames(m) == std::vector<std::string>{"a1", "a2", "b1", "a3", "old2", "root1"});
    // A folder the client may not read is left out.
    m = h.resume("/x", true, points, t0, [](std::string_view f) { return f != "/x/b"; });
    CHECK(frames(m) == std::vector<std::string>{"a3", "old2", "root1"});
    // Subscribed to "/" with children: "/" has a ring of its own, and every
    // other folder is below it. "/x-not-below" sorts between "/x" and "/x/a".
    const auto top = h.start("/", t0);
    const std::string top_epoch{top.epoch};
    put("/x-not-below", "sibling");
    m = h.resume("/", true, {{.folder = "/", .offset = 0, .epoch = top_epoch}}, t0, anyone);
    REQUIRE(m.recovered);
    CHECK(frames(m) == std::vector<std::string>{"sibling"});
    // A folder new to the client that dropped messages after its horizon: not recovered.
    for (int i = 0; i < 11; ++i) put("/x/c", "c");
    CHECK_FALSE(h.resume("/x", true, points, t0, anyone).recovered);
}

TEST_CASE("protocol: subscribe requests, with their errors one by one") {
    auto r = parse_client_request(R"({"type":"subscribe","parameters":{"subscriptions":[
        {"folder":"/a","include_children":true,"message_type":"m","since":{"offset":4,"epoch":"E"}},
        {"folder":"/b","since":[{"folder":"/b/c","offset":0,"epoch":"F"}]},
        {"folder":"/c/"}, {"folder":7}, {"folder":"/d","since":{"offset":-1,"epoch":"E"}}]}})");
    REQUIRE(r.what == client_request::kind::subscribe);
    REQUIRE(r.error.empty());
    REQUIRE(r.subscriptions.size() == 5);
    CHECK(r.subscriptions[0].sub == folder_subscription{"/a", true, "m"});
    REQUIRE(r.subscriptions[0].since.size() == 1);
    CHECK(r.subscriptions[0].since[0].folder == "/a");
    CHECK(r.subscriptions[0].since[0].offset == 4);
    CHECK(r.subscriptions[1].since[0].folder == "/b/c");
    CHECK(r.subscriptions[2].error == "invalid folder: a folder cannot end with '/'");
    CHECK_FALSE(r.subscriptions[3].error.empty());
    CHECK_FALSE(r.subscriptions[4].error.empty());

    CHECK_FALSE(parse_client_request(R"({"type":"unsubscribe"})").error.empty());
    CHECK_FALSE(parse_client_request(R"({"type":"subscribe","parameters":{"subscriptions":[]}})").error.empty());
    const auto msg = parse_client_request(R"({"type":"chat","folder":"/x","parameters":{}})");
    CHECK(msg.what == client_request::kind::message);
    CHECK(msg.folder == "/x");
    CHECK(parse_client_request("not json").what == client_request::kind::message);
    CHECK(parse_client_request(R"(["subscribe"])").what == client_request::kind::message);
}

TEST_CASE("protocol: a delivered object gets its folder, offset and epoch once") {
    CHECK(stamp_message(R"({"type":"t"} )", {.folder = "/a"}) == R"({"type":"t","folder":"/a"} )");
    CHECK(stamp_message("{}", {.folder = "/a", .offset = 3, .epoch = "E"}) ==
          R"({"folder":"/a","offset":3,"epoch":"E"})");
    // Named already: rewritten, each member once.
    CHECK(stamp_message(R"({"folder":"/old","offset":"x"})", {.folder = "/a", .offset = 3, .epoch = "E"}) ==
          R"({"folder":"/a","offset":3,"epoch":"E"})");
    CHECK_FALSE(stamp_message("[1,2]", {.folder = "/a"}));
    CHECK_FALSE(stamp_message("plain text", {.folder = "/a"}));
}

TEST_CASE("protocol: what the server says") {
    const folder_subscription s{"/a\"b", true, "m"};
    CHECK(subscriptions_json("subscribed", {{.sub = &s, .recovered = false}}) ==
          R"({"type":"subscribed","parameters":{"subscriptions":[{"folder":"/a\"b","include_children":true,)"
          R"("message_type":"m","recovered":false}]}})");
    CHECK(connect_json(7, "pi", "") ==
          R"({"type":"connect","parameters":{"client":"7","identity":"pi","folder":null}})");
    CHECK(request_error_json("subscribe", "/x", "no") ==
          R"({"type":"error","parameters":{"request":"subscribe","folder":"/x","message":"no"}})");
}
