// "Did you mean" for config errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace araldo::detail {

// The candidate closest to `word` by edit distance, or empty when none is
// close enough to be a plausible typo.
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

// "a, b, c" for hints listing what is valid.
std::string join(const std::vector<std::string>& words, std::string_view sep = ", ");

// A hint: "did you mean 'x'?" when one is close, else "valid: a, b, c".
std::string suggest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace araldo::detail
