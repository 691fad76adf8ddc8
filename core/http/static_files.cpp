#include "http/static_files.hpp"

#include <boost/dll/runtime_symbol_info.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace araldo::detail {

namespace fs = std::filesystem;

std::string resolve_static_dir(const std::string& configured) {
    if (configured == "none") return {};
    if (!configured.empty()) return configured;
    std::error_code ec;
    boost::dll::fs::error_code dll_ec;
    fs::path exe_dir = boost::dll::program_location(dll_ec).parent_path();
    if (!dll_ec) {
        fs::path installed = exe_dir / ".." / ARALDO_INSTALL_WEBDIR;
        if (fs::is_directory(installed, ec)) return fs::weakly_canonical(installed).string();
    }
#ifdef ARALDO_SOURCE_WEB_DIR
    if (fs::is_directory(ARALDO_SOURCE_WEB_DIR, ec)) return ARALDO_SOURCE_WEB_DIR;
#endif
    return {};
}

std::string content_type_for(const std::string& path) {
    static const std::pair<const char*, const char*> types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
        {".wasm", "application/wasm"},
    };
    std::string ext = fs::path(path).extension().string();
    for (auto [e, type] : types) {
        if (ext == e) return type;
    }
    return "application/octet-stream";
}

namespace {

// The file for a request path, or empty when it must not be served.
fs::path locate(const fs::path& root, const std::string& request_path) {
    fs::path relative;
    std::istringstream segments(request_path);
    for (std::string seg; std::getline(segments, seg, '/');) {
        if (seg.empty() || seg == ".") continue;
        // The listener has already percent-decoded the path, so "%2e%2e" arrives here as "..".
        if (seg == ".." || seg.front() == '.' || seg.find('\\') != std::string::npos ||
            seg.find('\0') != std::string::npos) {
            return {};
        }
        relative /= seg;
    }
    std::error_code ec;
    fs::path candidate = fs::weakly_canonical(root / relative, ec);
    if (ec) return {};
    if (fs::is_directory(candidate, ec)) candidate /= "index.html";
    // A symlink inside the root may point outside it: compare canonical paths.
    fs::path real = fs::canonical(candidate, ec);
    if (ec || !fs::is_regular_file(real, ec)) return {};
    auto [r, c] = std::mismatch(root.begin(), root.end(), real.begin(), real.end());
    if (r != root.end()) return {};
    return real;
}

}  // namespace

http_route static_files_route(std::string root_dir) {
    fs::path root = fs::canonical(root_dir);
    http_route route;
    route.path = std::string(1, '/');  // not = "/": g++ 12 -O2 warns falsely (-Wrestrict, PR105651)
    route.prefix = true;
    // Any method reaches the handler: a path that is not a file is 404 whatever
    // the method, as it would be without static files.
    route.max_body = 64 * 1024;
    route.handler = [root](http_request req) -> asio::awaitable<http_response> {
        fs::path file = locate(root, req.path);
        if (file.empty()) co_return http_response::error(404, "no route for " + req.path);
        if (req.method != "GET" && req.method != "HEAD") {
            auto r = http_response::error(405, "method " + req.method + " not allowed on " + req.path);
            r.headers.emplace_back("Allow", "GET, HEAD");
            co_return r;
        }
        std::error_code ec;
        if (fs::file_size(file, ec) > 16 * 1024 * 1024 || ec) {
            co_return http_response::error(404, "no such file: " + req.path);
        }
        std::ifstream in(file, std::ios::binary);
        std::ostringstream body;
        body << in.rdbuf();
        http_response r;
        r.status = 200;
        r.content_type = content_type_for(file.string());
        r.body = body.str();
        r.headers.emplace_back("Cache-Control", "no-cache");
        r.headers.emplace_back("X-Content-Type-Options", "nosniff");
        co_return r;
    };
    return route;
}

}  // namespace araldo::detail
