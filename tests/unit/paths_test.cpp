#include <araldo/context.hpp>

#include <catch2/catch.hpp>

#include <filesystem>

using namespace araldo;

TEST_CASE("config paths are relative to the config file's folder", "[config]") {
    global_settings g;
    g.config_file = "/etc/araldo/araldo.yaml";
    CHECK(resolve_config_path(g, "data") == "/etc/araldo/data");
    CHECK(resolve_config_path(g, "./certs/../ca.pem") == "/etc/araldo/ca.pem");
    CHECK(resolve_config_path(g, "/var/lib/araldo") == "/var/lib/araldo");
    CHECK(resolve_config_path(g, "").empty());
    // A relative config file name is taken from the working folder once.
    g.config_file = "sub/araldo.yaml";
    CHECK(resolve_config_path(g, "out.log") ==
          (std::filesystem::current_path() / "sub" / "out.log").lexically_normal().string());
}
