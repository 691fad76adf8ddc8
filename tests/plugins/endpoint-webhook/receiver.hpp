// A real HTTP receiver for webhook tests: a Beast server on 127.0.0.1, port 0,
// in a thread of its own. It records every request and verifies every
// Standard Webhooks signature with its own code (base64 and the signed
// content built here, HMAC from OpenSSL), never the plugin's.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace araldo::test {

struct received_request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
    std::chrono::steady_clock::time_point at;
    int connection = 0;            // which connection it came on (1, 2, ... in accept order)
    std::string peer_cn;           // https with client_ca: the verified client certificate's subject CN
    bool signature_valid = false;  // every configured secret has a matching v1 entry
    std::string signature_problem;

    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string{} : it->second;
    }
};

struct reply {
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers{};
    bool hang = false;  // never answer (until the receiver is destroyed)
    std::string body = "{\"ok\":true}";
    bool close_after = false;  // close the connection after answering, without saying so
};

class receiver {
public:
    struct tls_files {
        std::string cert;  // PEM certificate chain
        std::string key;   // PEM private key
        // Set: every client must present a certificate that verifies against
        // these CAs, or the handshake fails (mutual TLS).
        std::string client_ca{};
    };

    // `secrets` in whsec_<base64> form; empty: signatures are not checked.
    // With `tls`, the receiver speaks https only.
    explicit receiver(std::vector<std::string> secrets = {}, std::optional<tls_files> tls = std::nullopt);
    ~receiver();
    receiver(const receiver&) = delete;
    receiver& operator=(const receiver&) = delete;

    unsigned short port() const;
    std::string url(const std::string& path = "/hook") const;  // http:// or https://

    // How to answer; called for every request (in order) on the receiver's thread.
    void respond(std::function<reply(const received_request&, std::size_t index)> f);
    void respond_always(unsigned status) {
        respond([status](const received_request&, std::size_t) { return reply{status}; });
    }

    std::vector<received_request> requests() const;
    std::size_t count() const;
    std::vector<std::string> handshake_errors() const;  // https: failed TLS handshakes
    // Waits until at least n requests arrived.
    bool wait_for(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// The test's own Standard Webhooks verification.
std::string test_base64_encode(const std::string& bytes);
std::string test_base64_decode(const std::string& text);
std::string expected_signature(const std::string& secret, const std::string& id, const std::string& timestamp,
                               const std::string& body);

}  // namespace araldo::test
