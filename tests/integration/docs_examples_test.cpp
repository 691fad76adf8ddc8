// Every ```yaml block of the docs is a config a reader can copy: the real
// binary's --check must accept each one as it stands. A block that shows
// only part of a file says so in its fence (```yaml fragment) and is skipped.
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "documented_files.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace araldo::test;
namespace fs = std::filesystem;

namespace {

struct yaml_block {
    std::string file;  // relative to the source tree
    int line = 0;      // of the opening fence
    bool fragment = false;
    std::string text;
};

std::vector<yaml_block> yaml_blocks(const fs::path& file) {
    std::vector<yaml_block> out;
    std::ifstream in(file);
    const std::string rel = fs::relative(file, ARALDO_SOURCE_DIR).string();
    std::string line;
    int number = 0;
    yaml_block* open = nullptr;
    while (std::getline(in, line)) {
        ++number;
        if (open) {
            if (line.rfind("```", 0) == 0) {
                open = nullptr;
            } else {
                open->text += line + "\n";
            }
        } else if (line.rfind("```yaml", 0) == 0) {
            const std::string info = line.substr(7);
            out.push_back({rel, number, info.find("fragment") != std::string::npos, {}});
            open = &out.back();
        } else if (line.rfind("```", 0) == 0) {
            // Another language's block: skip to its end, so that a fence
            // inside it is not taken for a yaml one.
            while (std::getline(in, line)) {
                ++number;
                if (line.rfind("```", 0) == 0) break;
            }
        }
    }
    if (open) FAIL(rel << ":" << open->line << ": yaml block is never closed");
    return out;
}

// Secrets and tokens come from the environment (${CHAT_TOKEN}), as the docs
// recommend. Each one the reader would export is given the Standard Webhooks
// example secret: a valid whsec_ secret, and as good a token or password as any.
std::vector<std::pair<std::string, std::string>> placeholders(const std::string& text) {
    static const std::regex variable{R"(\$\{([A-Za-z_][A-Za-z0-9_]*)\})"};
    std::set<std::string> names;
    for (std::sregex_iterator it{text.begin(), text.end(), variable}, end; it != end; ++it) names.insert((*it)[1]);
    std::vector<std::pair<std::string, std::string>> env;
    for (const auto& n : names) {
        if (!std::getenv(n.c_str())) env.emplace_back(n, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    }
    return env;
}

}  // namespace

TEST_CASE("every yaml example in the docs passes araldo --check", "[docs][config]") {
    std::size_t checked = 0, fragments = 0;
    for (const auto& file : documented_files()) {
        for (const auto& block : yaml_blocks(file)) {
            if (block.fragment) {
                ++fragments;
                continue;
            }
            // A temp dir per block: relative paths (data-dir, files) land there.
            temp_dir dir;
            const std::string config = dir.write("araldo.yaml", block.text);
            const auto r = run_command({ARALDO_BINARY, "--check", "--plugin-dir", ARALDO_PLUGIN_DIR, "-c", config},
                                       dir.path(), placeholders(block.text));
            INFO(block.file << ":" << block.line << ": the example fails araldo --check (exit " << r.code << ")\n"
                            << r.err << "--- the block:\n"
                            << block.text);
            CHECK(r.code == 0);
            ++checked;
        }
    }
    // The walk itself must have found the examples it is here to check.
    CHECK(checked >= 10);
    // Fragments cannot be checked: they stay the exception.
    CHECK(fragments <= checked / 3);
}
