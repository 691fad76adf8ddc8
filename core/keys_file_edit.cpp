#include "keys_file_edit.hpp"

#include <araldo/json.hpp>
#include <araldo/keys.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace araldo::detail {

keys_document read_keys_document(const std::filesystem::path& file) {
    keys_document doc;
    doc.file = file;
    doc.entries = YAML::Node(YAML::NodeType::Sequence);
    std::error_code ec;
    doc.exists = std::filesystem::exists(file, ec);
    if (!doc.exists) return doc;
    // The SDK's own reading first: what the relay would refuse is refused here too.
    auto store = key_store::load(file);
    if (!store) throw std::invalid_argument(store.reason());
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    const YAML::Node root = YAML::Load(text.str());
    if (root.IsMap() && root["keys"] && root["keys"].IsSequence()) doc.entries = root["keys"];
    return doc;
}

namespace {

bool plain_time(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789-:.TtZz+") == std::string::npos;
}

void render_value(std::string& out, const std::string& field, const YAML::Node& v) {
    if (v.IsNull()) {
        out += "null";
    } else if (v.IsSequence()) {
        out += '[';
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out += ", ";
            append_json_string(out, v[i].Scalar());
        }
        out += ']';
    } else if ((field == "created" || field == "revoked") && plain_time(v.Scalar())) {
        out += v.Scalar();
    } else {
        // JSON's quoting is YAML's double-quoted style: control characters and
        // quotes escaped, so any value reads back as it was.
        append_json_string(out, v.Scalar());
    }
}

}  // namespace

std::string render_keys(const YAML::Node& entries) {
    std::string out =
        "# araldo keys file (docs/folders.md#keys), last written by `araldo keys`.\n"
        "# `araldo keys` rewrites this file whole: comments in it are not kept.\n"
        "keys:\n";
    if (entries.size() == 0) return out.substr(0, out.size() - 1) + " []\n";
    for (const auto& entry : entries) {
        const char* lead = "  - ";
        for (const auto& kv : entry) {
            out += lead;
            lead = "    ";
            out += kv.first.Scalar();
            out += ": ";
            render_value(out, kv.first.Scalar(), kv.second);
            out += '\n';
        }
    }
    return out;
}

namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
    throw std::runtime_error("cannot " + what + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

void replace_file(const std::filesystem::path& file, const std::string& text) {
    mode_t mode = 0600;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) mode = st.st_mode & 07777;
    std::filesystem::path temp = file;
    temp += ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fail("create", temp);
    const auto give_up = [&](const char* what) {
        const int saved = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        errno = saved;
        fail(what, temp);
    };
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) give_up("write");
        done += static_cast<std::size_t>(n);
    }
    if (::fchmod(fd, mode) != 0) give_up("set the mode of");
    // On disk before the rename: after a crash the file is the old or the new one, never empty.
    if (::fsync(fd) != 0) give_up("flush");
    if (::close(fd) != 0) {
        ::unlink(temp.c_str());
        fail("close", temp);
    }
    if (::rename(temp.c_str(), file.c_str()) != 0) {
        const int saved = errno;
        ::unlink(temp.c_str());
        errno = saved;
        fail("replace", file);
    }
}

}  // namespace araldo::detail
