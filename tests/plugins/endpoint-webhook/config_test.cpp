// Options checked where they are read: `araldo --check` refuses a header
// that could smuggle another one, with the position of the option.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <regex>

using namespace araldo::test;
using namespace araldo::test::webhook;

namespace {

std::string with_headers(const std::string& headers) {
    return "global:\n  server-port: 0\nplugins:\n  araldo.endpoints.endpoint:\n"
           "    - {name: in, id: endpoint-file, input: \"-\"}\n"
           "    - name: hook\n"
           "      id: endpoint-webhook\n"
           "      url: http://127.0.0.1:9/hook\n"
           "      headers: " +
           headers +
           "\n"
           "routes:\n  in: [hook]\n";
}

}  // namespace

TEST_CASE("a check refuses headers that break the request head, naming file:line:col", "[webhook][config]") {
    struct bad {
        std::string headers;
        std::string why;
    };
    const std::vector<bad> cases{
        {R"({X-Tenant: "acme\r\nX-Injected: 1"})", "holds a CR, LF or NUL"},
        {R"({X-Tenant: "acme\nEvil: 1"})", "holds a CR, LF or NUL"},
        {R"({X-Tenant: "acme\0"})", "holds a CR, LF or NUL"},
        {R"({"X Tenant": acme})", "'X Tenant' is not a header name"},
        {R"({"X-Tenant:": acme})", "'X-Tenant:' is not a header name"},
        {R"({"X-\0Tenant": acme})", "'X-\\x00Tenant' is not a header name"},
        {R"({"": acme})", "'' is not a header name"},
    };
    temp_dir dir;
    for (const auto& c : cases) {
        INFO(c.headers);
        std::string file = dir.write("bad.yaml", with_headers(c.headers));
        auto r = run_command({ARALDO_BINARY, "--check", "-c", file}, dir.path());
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains(c.why));
        // The position is the headers option's: line 9 of the file.
        CHECK(std::regex_search(r.err, std::regex(R"(bad\.yaml:9:\d+: )")));
    }
    std::string good = dir.write("good.yaml", with_headers(R"({X-Tenant: "acme corp", Authorization: "Bearer x"})"));
    CHECK(run_command({ARALDO_BINARY, "--check", "-c", good}, dir.path()).code == 0);
}

TEST_CASE("max-response-body is bounded", "[webhook][config]") {
    temp_dir dir;
    std::string cfg = config({{"hook", "{url: \"http://127.0.0.1:9/h\", max-response-body: 1GiB}"}});
    auto r =
        run_command({ARALDO_BINARY, "--check", "-c", dir.write("big.yaml", with_dir(cfg, dir.path()))}, dir.path());
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("max-response-body") && Catch::Contains("must be at most 16MiB, got 1GiB"));
}
