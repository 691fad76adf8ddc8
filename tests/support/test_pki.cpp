#include "support/test_pki.hpp"

#include "support/process.hpp"

#include <catch2/catch.hpp>

namespace araldo::test {

test_pki make_test_pki(const std::string& dir) {
    const auto res = run_command({ARALDO_SOURCE_DIR "/tests/support/make-test-pki", dir}, dir);
    INFO(res.err);
    REQUIRE(res.code == 0);
    return test_pki{dir};
}

}  // namespace araldo::test
