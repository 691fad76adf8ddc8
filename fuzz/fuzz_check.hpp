// What every fuzz target shares: a check that stops the run with a message
// (libFuzzer saves the input that failed it as a crash).
#pragma once

#include <cstdio>
#include <cstdlib>

// Used for properties the code promises (a round trip, two splits agreeing):
// unlike assert, it stays on in every build type.
#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                      \
        }                                                                                      \
    } while (0)
