// Files served at "/" from global.static-dir (the web client and demo page).
#pragma once

#include <araldo/http.hpp>

#include <string>

namespace araldo::detail {

// The folder to serve: `configured` when set ("none" disables), else the
// installed <prefix>/share/araldo/web, else the source tree's web/ when
// running from a build tree. Empty: serve nothing.
std::string resolve_static_dir(const std::string& configured);

// A GET/HEAD route for "/" and below. Paths that leave `root` (.., symlinks
// pointing out) are 404, as are hidden files.
http_route static_files_route(std::string root);

std::string content_type_for(const std::string& path);

}  // namespace araldo::detail
