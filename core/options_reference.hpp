// The option reference in Markdown, generated from the option tables so
// docs/configuration.md cannot drift from the code (a test compares them).
#pragma once

#include "plugin_loader.hpp"

#include <string>

namespace araldo::detail {

std::string options_reference(const plugin_loader& loader);

}  // namespace araldo::detail
