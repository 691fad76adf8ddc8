// Boost.JSON compiled into the fuzz build (its header-only form) rather than
// linked from Debian's g++-built libboost_json: its parser then carries the
// same coverage and sanitizer instrumentation as the code under test.
#include <boost/json/src.hpp>
