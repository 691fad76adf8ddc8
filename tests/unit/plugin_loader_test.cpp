#include "plugin_loader.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using araldo::config_error;
using araldo::detail::plugin_loader;

namespace {

std::string fixture(const std::string& dir, const std::string& name) {
    return std::string(ARALDO_FIXTURE_DIR) + "/" + dir + "/araldo-" + name + ".so";
}

std::string load_error(const std::string& file) {
    plugin_loader loader;
    try {
        loader.load(file);
    } catch (const config_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("the in-tree plugins load and register their ids", "[plugin]") {
    plugin_loader loader;
    loader.scan(ARALDO_PLUGIN_DIR);
    CHECK(loader.find_marshaller("marshal-json"));
    CHECK(loader.find_marshaller("marshal-raw"));
    CHECK(loader.find_endpoint("endpoint-mock"));
    CHECK(loader.find_endpoint("endpoint-file"));
    CHECK_FALSE(loader.find_endpoint("marshal-json"));
    auto rows = loader.rows();
    REQUIRE(rows.size() >= 4);
    for (const auto& r : rows) {
        CHECK(std::filesystem::exists(r.file));
        CHECK_FALSE(r.version.empty());
    }
    // Scanning the same folder twice loads nothing twice.
    loader.scan(ARALDO_PLUGIN_DIR);
    CHECK(loader.rows().size() == rows.size());
}

TEST_CASE("a plugin with another ABI tag is refused before it runs", "[plugin]") {
    std::string what = load_error(fixture("bad-abi", "bad-abi"));
    CHECK_THAT(what, Catch::Contains("araldo-bad-abi.so"));
    CHECK_THAT(what, Catch::Contains("plugin ABI mismatch: araldo SDK ABI 999 in the plugin, " +
                                     std::to_string(ARALDO_ABI_VERSION) + " in this relay"));
}

TEST_CASE("a plugin built against other spdlog, fmt and OpenSSL versions is refused, both versions named", "[plugin]") {
    std::string what = load_error(fixture("other-libraries", "other-libraries"));
    CHECK_THAT(what, Catch::Contains("plugin ABI mismatch: spdlog 1.9.2 in the plugin, " +
                                     std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
                                     std::to_string(SPDLOG_VER_PATCH) + " in this relay"));
    CHECK_THAT(what, Catch::Contains("; fmt 8.1.1 in the plugin, " + std::to_string(FMT_VERSION / 10000) + "." +
                                     std::to_string(FMT_VERSION / 100 % 100) + "." + std::to_string(FMT_VERSION % 100) +
                                     " in this relay"));
    CHECK_THAT(what, Catch::Contains("; OpenSSL 1.1 in the plugin, " + std::to_string(OPENSSL_VERSION_MAJOR) + "." +
                                     std::to_string(OPENSSL_VERSION_MINOR) + " in this relay"));
    CHECK_THAT(what, !Catch::Contains("Boost"));
}

TEST_CASE("a plugin that names a core symbol fails to load, and the error says why", "[plugin]") {
    std::string what = load_error(fixture("core-symbol", "core-symbol"));
    CHECK_THAT(what, Catch::Contains("araldo-core-symbol.so: cannot load plugin"));
    CHECK_THAT(what, Catch::Contains("araldo::detail::abi_mismatch("));
    CHECK_THAT(what, Catch::Contains("not part of the SDK"));
}

TEST_CASE("files that are not plugins are refused with a reason", "[plugin]") {
    CHECK_THAT(load_error(fixture("not-a-plugin", "not-a-plugin")), Catch::Contains("not an araldo plugin"));
    CHECK_THAT(load_error(fixture("null-descriptor", "null-descriptor")),
               Catch::Contains("plugin failed to describe itself"));
}

TEST_CASE("two plugins providing one id are refused, naming both files", "[plugin]") {
    plugin_loader loader;
    try {
        loader.scan(std::string(ARALDO_FIXTURE_DIR) + "/duplicate");
        FAIL("expected a duplicate id error");
    } catch (const config_error& e) {
        std::string what = e.what();
        CHECK_THAT(what, Catch::Contains("duplicate plugin id 'fixture-dup'"));
        CHECK_THAT(what, Catch::Contains("araldo-dup-a.so"));
        CHECK_THAT(what, Catch::Contains("araldo-dup-b.so"));
    }
}

TEST_CASE("a plugin whose option table has a bound that does not parse is refused at load", "[plugin][options]") {
    const std::string file = fixture("bad-table", "bad-table");
    std::string what = load_error(file);
    CHECK_THAT(what, Catch::StartsWith(file + ": plugin 'fixture-bad-table' declares a bad option table for "
                                              "endpoint-bad-table: option 'limits.burst': max \"lots\" is not a "
                                              "valid size"));
    CHECK_THAT(what, Catch::Contains("hint: a bug in the plugin"));
    // Nothing of it is registered.
    plugin_loader loader;
    CHECK_THROWS_AS(loader.load(file), config_error);
    CHECK_FALSE(loader.find_endpoint("endpoint-bad-table"));
}

TEST_CASE("a folder that does not exist is an error unless optional", "[plugin]") {
    plugin_loader loader;
    CHECK_THROWS_AS(loader.scan("/nonexistent/araldo-plugins"), config_error);
    CHECK_NOTHROW(loader.scan("/nonexistent/araldo-plugins", true));
}

TEST_CASE("a symlink in a plugin folder that leads outside it is refused, naming both paths", "[plugin]") {
    namespace fs = std::filesystem;
    araldo::test::temp_dir dir;
    const fs::path outside = fs::canonical(std::string(ARALDO_PLUGIN_DIR) + "/araldo-endpoint-mock.so");
    fs::create_symlink(outside, dir / "araldo-endpoint-mock.so");
    plugin_loader loader;
    try {
        loader.scan(dir.path());
        FAIL("expected the link to be refused");
    } catch (const config_error& e) {
        const std::string what = e.what();
        CHECK_THAT(what, Catch::Contains(dir / "araldo-endpoint-mock.so"));
        CHECK_THAT(what, Catch::Contains("leads outside its folder"));
        CHECK_THAT(what, Catch::Contains(outside.string()));
    }
    CHECK_FALSE(loader.find_endpoint("endpoint-mock"));
}

TEST_CASE("a symlink to a file inside the same plugin folder still loads", "[plugin]") {
    namespace fs = std::filesystem;
    araldo::test::temp_dir dir;
    fs::create_directories(dir / "versions");
    fs::copy_file(std::string(ARALDO_PLUGIN_DIR) + "/araldo-endpoint-mock.so", dir / "versions/endpoint-mock.so.1");
    fs::create_symlink("versions/endpoint-mock.so.1", dir / "araldo-endpoint-mock.so");
    plugin_loader loader;
    loader.scan(dir.path());
    CHECK(loader.find_endpoint("endpoint-mock"));
    CHECK(loader.file_of("endpoint-mock") == fs::canonical(dir / "versions/endpoint-mock.so.1").string());
}
