// A throwaway PKI for TLS tests, made by tests/support/make-test-pki with the
// openssl command (see that script for what each file is).
#pragma once

#include <string>

namespace araldo::test {

struct test_pki {
    std::string dir;
    // dir/name, e.g. file("ca.pem"), file("client.key").
    std::string file(const std::string& name) const { return dir + "/" + name; }
};

// Writes the PKI into `dir` (which must exist); REQUIREs that openssl succeeded.
test_pki make_test_pki(const std::string& dir);

}  // namespace araldo::test
