#include "fixture.hpp"

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

emitted emit(unsigned short port, const std::string& body, const std::string& content_type) {
    auto reply = http_request(port, "POST", "/emit", body, {{"Content-Type", content_type}});
    emitted e;
    e.status = reply.status;
    e.retry_after = reply.header("retry-after");
    if (reply.status == 202) e.id = std::string(boost::json::parse(reply.body).at("id").as_string());
    return e;
}

std::string down_url() { return "http://127.0.0.1:" + std::to_string(free_port()) + "/hook"; }

std::map<std::string, std::string> bodies_by_id(const receiver& rx) {
    std::map<std::string, std::string> out;
    for (const auto& q : rx.requests()) out[q.header("webhook-id")] = q.body;
    return out;
}

}  // namespace araldo::test::webhook
