// The SDK's folder rule and folder globs (<araldo/folder.hpp>), table-driven.
#include <araldo/folder.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace araldo;

namespace {

std::string reason_of(std::string_view folder) {
    auto r = valid_folder(folder);
    return r ? "valid" : r.reason();
}

bool glob_matches(std::string_view pattern, std::string_view folder) {
    auto g = folder_glob::compile(pattern);
    REQUIRE(g);
    return g.value().matches(folder);
}

std::string glob_error(std::string_view pattern) {
    auto g = folder_glob::compile(pattern);
    return g ? "compiles" : g.reason();
}

}  // namespace

TEST_CASE("valid folders", "[folder]") {
    for (const char* f : {"/", "/acme", "/acme/greenhouse/pi-7", "/a/b/c/d/e/f", "/caf\xC3\xA9/\xE2\x82\xAC",
                          "/with space", "/...", "/.hidden", "/a.b/..c", "/*/?", "/_/~/-/%41", "/\xF0\x9F\x8C\xB1"}) {
        INFO(f);
        CHECK(reason_of(f) == "valid");
    }
    CHECK(reason_of("/" + std::string(max_folder_length - 1, 'x')) == "valid");
}

TEST_CASE("invalid folders, and why", "[folder]") {
    struct row {
        std::string folder;
        std::string reason;
    };
    const row rows[] = {
        {"", "a folder cannot be empty"},
        {"acme", "a folder starts with '/'"},
        {"acme/x", "a folder starts with '/'"},
        {" /acme", "a folder starts with '/'"},
        {"//", "a folder cannot end with '/'"},
        {"/acme/", "a folder cannot end with '/'"},
        {"/acme//x", "a folder cannot hold an empty segment ('//')"},
        {"//acme", "a folder cannot hold an empty segment ('//')"},
        {"/.", "a folder cannot hold a '.' or '..' segment"},
        {"/..", "a folder cannot hold a '.' or '..' segment"},
        {"/acme/./x", "a folder cannot hold a '.' or '..' segment"},
        {"/acme/../x", "a folder cannot hold a '.' or '..' segment"},
        {"/acme/..", "a folder cannot hold a '.' or '..' segment"},
        {std::string("/a\0b", 4), "a folder cannot hold control characters"},
        {"/a\tb", "a folder cannot hold control characters"},
        {"/a\nb", "a folder cannot hold control characters"},
        {"/a\x7F", "a folder cannot hold control characters"},
        {"/a\xC2\x85", "a folder cannot hold control characters"},  // U+0085, NEL
        {"/a\xC2\x9F", "a folder cannot hold control characters"},
        {"/a\xFF", "a folder must be UTF-8 text"},
        {"/a\xC3", "a folder must be UTF-8 text"},
        {"/\xED\xA0\x80", "a folder must be UTF-8 text"},  // a surrogate
        {"/\xC0\xAF", "a folder must be UTF-8 text"},      // an overlong '/'
        {"/" + std::string(max_folder_length, 'x'), "a folder is at most 1024 bytes"},
    };
    for (const auto& r : rows) {
        INFO(r.folder);
        CHECK(reason_of(r.folder) == r.reason);
    }
    CHECK(reason_of("/a\xC2\xA0") == "valid");  // U+00A0 is not a control character
}

TEST_CASE("folder globs: *, ? and ** by segment", "[folder][route]") {
    struct row {
        const char* glob;
        const char* folder;
        bool match;
    };
    const row rows[] = {
        {"/acme/greenhouse", "/acme/greenhouse", true},
        {"/acme/greenhouse", "/acme/greenhouse/pi-7", false},
        {"/acme/greenhouse", "/acme", false},
        {"/acme/greenhouse", "/acme/greenhousE", false},
        {"/", "/", true},
        {"/", "/acme", false},
        {"/*", "/acme", true},
        {"/*", "/", false},
        {"/*", "/acme/x", false},
        {"/acme/*", "/acme/greenhouse", true},
        {"/acme/*", "/acme", false},
        {"/acme/*", "/acme/greenhouse/pi-7", false},
        {"/acme/*/pi-7", "/acme/greenhouse/pi-7", true},
        {"/acme/*/pi-7", "/acme/a/b/pi-7", false},
        {"/acme/green*", "/acme/greenhouse", true},
        {"/acme/green*", "/acme/green", true},
        {"/acme/green*", "/acme/gree", false},
        {"/acme/*house", "/acme/greenhouse", true},
        {"/acme/g*n*e", "/acme/greenhouse", true},
        {"/acme/g*n*x", "/acme/greenhouse", false},
        {"/pi-?", "/pi-7", true},
        {"/pi-?", "/pi-", false},
        {"/pi-?", "/pi-77", false},
        {"/pi-?", "/pi-\xE2\x82\xAC", true},  // one character, three bytes
        {"/caf?", "/caf\xC3\xA9", true},
        {"/caf??", "/caf\xC3\xA9", false},
        {"/*\xC3\xA9", "/caf\xC3\xA9", true},
        {"/**", "/", true},
        {"/**", "/acme", true},
        {"/**", "/acme/greenhouse/pi-7", true},
        {"/acme/**", "/acme", true},
        {"/acme/**", "/acme/greenhouse", true},
        {"/acme/**", "/acme/greenhouse/pi-7", true},
        {"/acme/**", "/acmeco", false},
        {"/acme/**", "/other/acme", false},
        {"/**/pi-7", "/pi-7", true},
        {"/**/pi-7", "/acme/greenhouse/pi-7", true},
        {"/**/pi-7", "/acme/greenhouse/pi-70", false},
        {"/**/pi-*", "/acme/greenhouse/pi-7", true},
        {"/acme/**/pi-7", "/acme/pi-7", true},
        {"/acme/**/pi-7", "/acme/a/b/c/pi-7", true},
        {"/acme/**/pi-7", "/acme/a/pi-7/b", false},
        {"/acme/**/x/**/y", "/acme/x/y", true},
        {"/acme/**/x/**/y", "/acme/1/x/2/3/y", true},
        {"/acme/**/x/**/y", "/acme/1/y/2/x", false},
        {"/a/**/b/c", "/a/b/b/c", true},  // backtracks past the first b
        {"/a/**/b/c", "/a/b/c/b", false},
        {"/**/**", "/a/b", true},
        {"/*/**", "/", false},
        {"/*/**", "/a", true},
        // Wildcards are not special in folders, only in globs.
        {"/a*", "/a*", true},
        {"/a?", "/a*", true},
    };
    for (const auto& r : rows) {
        INFO(r.glob << " against " << r.folder);
        CHECK(glob_matches(r.glob, r.folder) == r.match);
    }
}

TEST_CASE("folder globs and messages without a folder", "[folder][route]") {
    attributes none;
    attributes in;
    in.set("folder", "/acme/x");
    auto all = folder_glob::compile("**");
    REQUIRE(all);
    CHECK(all.value().matches(none));
    CHECK(all.value().matches(in));
    CHECK(all.value().matches("/anything"));
    auto every_folder = folder_glob::compile("/**");
    REQUIRE(every_folder);
    CHECK_FALSE(every_folder.value().matches(none));
    CHECK(every_folder.value().matches(in));
    auto acme = folder_glob::compile("/acme/*");
    REQUIRE(acme);
    CHECK(acme.value().text() == "/acme/*");
    CHECK(acme.value().matches(in));
    CHECK_FALSE(acme.value().matches(none));
    // An attribute set by a plugin that did not check it is matched as it is, never crashes.
    for (const char* odd : {"", "acme", "//", "/acme//x", "/acme/", "/acme/x/"}) {
        INFO(odd);
        CHECK_FALSE(acme.value().matches(odd));
    }
}

TEST_CASE("a folder glob that could never match is refused", "[folder][route]") {
    CHECK(glob_error("acme/*") == "a folder glob starts with '/' (or is \"**\" alone, for every message)");
    CHECK(glob_error("*") == "a folder glob starts with '/' (or is \"**\" alone, for every message)");
    CHECK(glob_error("") == "a folder glob cannot be empty");
    CHECK(glob_error("/acme/") == "a folder glob cannot end with '/'");
    CHECK(glob_error("/acme//x") == "a folder glob cannot hold an empty segment ('//')");
    CHECK(glob_error("/acme/../x") == "a folder glob cannot hold a '.' or '..' segment");
    CHECK(glob_error("/acme/.") == "a folder glob cannot hold a '.' or '..' segment");
    CHECK(glob_error("/acme/a**") == "'**' in a folder glob stands for whole segments: write /a/**/b, not /a**b");
    CHECK(glob_error("/***") == "'**' in a folder glob stands for whole segments: write /a/**/b, not /a**b");
    CHECK(glob_error("/a\tb") == "a folder glob cannot hold control characters");
    CHECK(glob_error("/a\xFF") == "a folder glob must be UTF-8 text");
    CHECK(glob_error("/" + std::string(max_folder_length, '*')) == "a folder glob is at most 1024 bytes");
    for (const char* ok : {"**", "/", "/**", "/*", "/acme/**", "/a/**/b", "/?", "/.*", "/*.", "/a.b"}) {
        INFO(ok);
        CHECK(glob_error(ok) == "compiles");
    }
}

TEST_CASE("a compiled folder glob survives copies and moves", "[folder]") {
    auto compiled = folder_glob::compile("/acme/**/pi-?");
    REQUIRE(compiled);
    folder_glob copy = compiled.value();
    folder_glob moved = std::move(compiled).value();
    CHECK(copy.matches("/acme/x/pi-7"));
    CHECK(moved.matches("/acme/pi-8"));
    CHECK_FALSE(moved.matches("/acme/pi-10"));
}
