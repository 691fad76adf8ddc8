// The admin API's table without sockets: registration rules, which route a
// path reaches, and the /_admin boundary of an endpoint's registry.
#include "http/admin_routes.hpp"
#include "endpoint_host.hpp"
#include "http/listener.hpp"
#include "logging.hpp"
#include "metrics.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <optional>
#include <stdexcept>

using namespace araldo;
using namespace araldo::detail;

namespace {

const std::string token = "t0ken";

// A route that answers with its own name and the rest of the path.
admin_route named(std::string path, bool prefix, std::vector<std::string> methods = {}) {
    admin_route r;
    r.path = path;
    r.prefix = prefix;
    r.methods = std::move(methods);
    r.handler = [path, prefix](admin_request req) -> asio::awaitable<http_response> {
        std::string body = path + (prefix ? "*" : "") + ":";
        for (const auto& s : req.rest) body += "[" + s + "]";
        co_return http_response::text(200, body);
    };
    return r;
}

// Runs the mounted route's handler for one request, as the listener would.
http_response call(const http_route& mounted, const std::string& method, const std::string& target,
                   const std::string& auth = "Bearer " + token) {
    http_request req;
    req.method = method;
    req.target = target;
    req.path = target.substr(0, target.find('?'));
    if (!auth.empty()) req.headers.emplace_back("authorization", auth);
    asio::io_context io{1};
    std::optional<http_response> out;
    asio::co_spawn(io, mounted.handler(std::move(req)), [&](std::exception_ptr e, http_response r) {
        if (e) std::rethrow_exception(e);
        out = std::move(r);
    });
    io.run();
    REQUIRE(out);
    return *out;
}

}  // namespace

TEST_CASE("admin routes: the longest path wins, an exact route over a prefix of the same path", "[http][admin]") {
    class metrics m;
    admin_routes admin(m, core_logger());
    admin.add("ep", "endpoint-x", named("items", true));
    admin.add("ep", "endpoint-x", named("items", false));
    admin.add("ep", "endpoint-x", named("items/retry", false, {"POST"}));
    admin.add("ep", "endpoint-x", named("", true));
    admin.add("other", "endpoint-y", named("items", false));
    const http_route mounted = admin.mount(token);
    CHECK(mounted.path == "/_admin");
    CHECK(mounted.prefix);

    CHECK(call(mounted, "GET", "/_admin/endpoints/ep/items").body == "items:");
    CHECK(call(mounted, "GET", "/_admin/endpoints/ep/items/").body == "items:");
    CHECK(call(mounted, "GET", "/_admin/endpoints/ep/items/a%2Fb/c?x=1").body == "items*:[a/b][c]");
    CHECK(call(mounted, "POST", "/_admin/endpoints/ep/items/retry").body == "items/retry:");
    CHECK(call(mounted, "GET", "/_admin/endpoints/ep/items/retry").status == 405);
    CHECK(call(mounted, "GET", "/_admin/endpoints/ep").body == "*:");
    CHECK(call(mounted, "GET", "/_admin/endpoints/ep/elsewhere").body == "*:[elsewhere]");
    CHECK(call(mounted, "GET", "/_admin/endpoints/%65p/it%65ms").body == "items:");
    CHECK(call(mounted, "GET", "http://relay:8080/_admin/endpoints/other/items").body == "items:");
    CHECK(call(mounted, "GET", "/_admin/endpoints/other/items/x").status == 404);
    CHECK(call(mounted, "GET", "/_admin/endpoints/ep/items", "").status == 401);
    CHECK(call(mounted, "GET", "/_admin/endpoints/ep/items", "bearer " + token).status == 200);  // any case
    CHECK(call(mounted, "GET", "/_admin/endpoints/ep/items", "Bearer  " + token).status == 401);
}

TEST_CASE("admin routes: bad paths and duplicates are refused; endpoints come and go with a reload", "[http][admin]") {
    class metrics m;
    admin_routes admin(m, core_logger());
    for (const std::string bad : {"/items", "items/", "a//b", "a?b", "a#b"}) {
        INFO(bad);
        CHECK_THROWS_AS(admin.add("ep", "x", named(bad, false)), std::invalid_argument);
    }
    admin_route no_handler;
    no_handler.path = "x";
    CHECK_THROWS_AS(admin.add("ep", "x", std::move(no_handler)), std::invalid_argument);
    admin.add("ep", "x", named("items", false));
    CHECK_THROWS_AS(admin.add("ep", "x", named("items", false)), std::invalid_argument);
    admin.add("ep", "x", named("items", true));    // the other kind
    admin.add("ep2", "x", named("items", false));  // another endpoint
    auto mounted = admin.mount("");
    CHECK(call(mounted, "GET", "/_admin/endpoints/ep/items").status == 403);
    // An endpoint a reload adds: served once mounted again.
    admin.add("ep3", "x", named("late", false));
    const auto again = admin.mount(token);
    CHECK(call(again, "GET", "/_admin/endpoints/ep3/late").body == "late:");
    admin.remove("ep3");
    CHECK(call(again, "GET", "/_admin/endpoints/ep3/late").status == 404);
}

TEST_CASE("an endpoint's registry keeps /_admin for the core's admin API", "[http][admin]") {
    asio::io_context io{1};
    class metrics m;
    http_listener listener(io.get_executor(), core_logger());
    admin_routes admin(m, core_logger());
    endpoint_host::wiring w;
    w.name = "ep";
    w.plugin_id = "endpoint-x";
    w.metrics = &m;
    w.http = &listener;
    w.admin = &admin;
    endpoint_host host(std::move(w));

    http_route plain;
    plain.path = "/_admin/mine";
    plain.handler = [](http_request) -> asio::awaitable<http_response> { co_return http_response::text(200, ""); };
    CHECK_THROWS_AS(host.http().add(plain), std::invalid_argument);
    plain.path = "/_admin";
    CHECK_THROWS_AS(host.http().add(plain), std::invalid_argument);
    plain.path = "/_administration";  // not the admin API's
    CHECK_NOTHROW(host.http().add(plain));
    upgrade_route upgrade;
    upgrade.path = "/_admin/ws";
    upgrade.accept = [](http_upgrade) {};
    CHECK_THROWS_AS(host.http().add(std::move(upgrade)), std::invalid_argument);

    CHECK_NOTHROW(host.http().add(named("items", false)));
    http_registry& bare = listener;  // not an endpoint's: no name to mount under
    CHECK_THROWS_AS(bare.add(named("items", false)), std::logic_error);
}
