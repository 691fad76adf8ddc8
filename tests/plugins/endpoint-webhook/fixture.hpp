// Shared by the webhook suites: configs, the admin API, stdin feeding.
#pragma once

#include "receiver.hpp"
#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <boost/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace araldo::test::webhook {

inline const std::string secret_a = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
inline const std::string secret_b = "whsec_dGhpcyBpcyBhIHNlY29uZCB0ZXN0IHNlY3JldA==";
inline const std::string admin_token = "s3cret-admin";

// A relay whose stdin lines (endpoint "in") are routed to every endpoint in
// `webhooks` (YAML flow mappings without name/id, e.g. "{url: ..., secret: ...}").
inline std::string config(const std::vector<std::pair<std::string, std::string>>& webhooks,
                          const std::string& data_dir = "{DIR}/data", const std::string& token = admin_token) {
    std::string c = "global:\n  server-port: 0\n  data-dir: \"" + data_dir + "\"\n  admin-token: \"" + token +
                    "\"\nplugins:\n  araldo.endpoints.endpoint:\n    - {name: in, id: endpoint-file, input: \"-\"}\n";
    std::string targets;
    for (const auto& [name, opts] : webhooks) {
        std::string body = opts.substr(1, opts.size() - 2);  // without the braces
        c += "    - {name: " + name + ", id: endpoint-webhook, " + body + "}\n";
        targets += (targets.empty() ? "" : ", ") + name;
    }
    c += "routes:\n  in: [" + targets + "]\n";
    return c;
}

inline relay start(const std::string& cfg) { return relay(cfg, {.pipe_stdin = true}); }

inline http_reply admin(const relay& r, const std::string& method, const std::string& target,
                        const std::string& token = admin_token) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return http_request(r.port(), method, target, "", headers);
}

// The admin API's path for one endpoint's dead letters.
inline std::string deadletters_path(const std::string& endpoint = "hook") {
    return "/_admin/endpoints/" + endpoint + "/deadletters";
}

// One endpoint's dead letters; none when the admin API refuses.
inline boost::json::array dead_letters(const relay& r, const std::string& endpoint = "hook",
                                       const std::string& query = "") {
    auto reply = admin(r, "GET", deadletters_path(endpoint) + query);
    if (reply.status != 200) return {};
    return boost::json::parse(reply.body).at("deadletters").as_array();
}

// A relay whose emit API (endpoint-http at /emit, no marshaller: bodies pass
// byte for byte, up to 2 MiB) routes to one webhook endpoint "hook" with
// `hook` options (a YAML flow mapping body, without braces).
inline std::string emit_config(const std::string& hook, const std::string& data_dir) {
    return "global:\n  server-port: 0\n  shutdown-timeout: 3s\n  data-dir: \"" + data_dir + "\"\n  admin-token: \"" +
           admin_token +
           "\"\nplugins:\n  araldo.endpoints.endpoint:\n"
           "    - {name: emit, id: endpoint-http, path: /emit, max-body-size: 2MiB}\n"
           "    - {name: hook, id: endpoint-webhook, " +
           hook + "}\nroutes:\n  emit: [hook]\n";
}

// POSTs a body to the emit API: {status, id (with 202)}.
struct emitted {
    int status = 0;
    std::string id;
    std::string retry_after;
};
emitted emit(unsigned short port, const std::string& body, const std::string& content_type = "application/json");

// A URL nothing answers at (connection refused): a receiver that is down.
std::string down_url();

// The receiver's requests by webhook-id (the last body seen for each).
std::map<std::string, std::string> bodies_by_id(const receiver& rx);

// The id the relay gave the n-th stdin line (from its REQUEST log lines, in order of first appearance).
std::vector<std::string> request_ids(const std::string& log);

}  // namespace araldo::test::webhook
