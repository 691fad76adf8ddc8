// The files readers copy from and follow links in: docs/*.md, each plugin's
// README and each example's README (tests/integration's docs tests).
#pragma once

#include <algorithm>
#include <filesystem>
#include <vector>

namespace araldo::test {

inline std::vector<std::filesystem::path> documented_files() {
    namespace fs = std::filesystem;
    const fs::path root{ARALDO_SOURCE_DIR};
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(root / "docs"))
        if (e.path().extension() == ".md") out.push_back(e.path());
    for (const char* parent : {"plugins", "examples"}) {
        for (const auto& e : fs::directory_iterator(root / parent)) {
            if (fs::exists(e.path() / "README.md")) out.push_back(e.path() / "README.md");
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace araldo::test
