#include "webhook/fixture.hpp"

#include <regex>
#include <set>

namespace araldo::test::webhook {

std::vector<std::string> request_ids(const std::string& log) {
    std::vector<std::string> ids;
    std::set<std::string> seen;
    std::regex re(R"(REQUEST (\S+) POST)");
    for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator(); ++it) {
        if (seen.insert((*it)[1]).second) ids.push_back((*it)[1]);
    }
    return ids;
}

}  // namespace araldo::test::webhook
