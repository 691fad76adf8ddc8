// The docs' relative links lead to files of the repository: a reader who
// follows one from the README or a guide finds the file, in the same tree.
#include "documented_files.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace {

// The README links into docs/ and beyond: it is read first.
std::vector<fs::path> linking_files() {
    std::vector<fs::path> out = araldo::test::documented_files();
    out.insert(out.begin(), fs::path{ARALDO_SOURCE_DIR} / "README.md");
    return out;
}

bool inside(const fs::path& real, const fs::path& root) {
    const auto r = root.string() + "/";
    return real == root || real.string().rfind(r, 0) == 0;
}

}  // namespace

TEST_CASE("relative links in the docs lead to files inside the repository", "[docs]") {
    const fs::path root = fs::canonical(ARALDO_SOURCE_DIR);
    // [text](target) and [text](target "title"); inline code is not a link.
    static const std::regex link{R"(\]\(([^)\s]+)(?:\s+"[^"]*")?\))"};
    std::size_t checked = 0;
    for (const auto& file : linking_files()) {
        std::ifstream in(file);
        std::string line;
        int number = 0;
        bool in_code = false;
        while (std::getline(in, line)) {
            ++number;
            if (line.rfind("```", 0) == 0) in_code = !in_code;
            if (in_code) continue;
            for (std::sregex_iterator it{line.begin(), line.end(), link}, end; it != end; ++it) {
                std::string target = (*it)[1];
                if (target.find("://") != std::string::npos || target.rfind("mailto:", 0) == 0 || target[0] == '#')
                    continue;
                target = target.substr(0, target.find('#'));
                const fs::path resolved = fs::weakly_canonical(file.parent_path() / target);
                INFO(fs::relative(file, root).string() << ":" << number << ": link to " << target);
                CHECK(inside(resolved, root));
                CHECK(fs::exists(resolved));
                ++checked;
            }
        }
    }
    CHECK(checked >= 20);
}
