#include "logging.hpp"

#include <araldo/json.hpp>
#include <araldo/time.hpp>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>

namespace araldo::detail {
namespace {

constexpr const char* text_pattern = "%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v";

// One write(2) per line, as stderr is written: a line is in the file (or the
// kernel's cache) when the call returns, and no buffer needs a flush thread,
// which the single-threaded sinks could not have.
class file_sink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
public:
    explicit file_sink(std::string path) : path_(std::move(path)) { fd_ = open_file(path_); }
    ~file_sink() override {
        if (fd_ >= 0) ::close(fd_);
    }
    // A new fd before the old one closes: a file that cannot be opened leaves
    // the log where it was.
    void reopen() {
        const int fresh = open_file(path_);
        ::close(fd_);
        fd_ = fresh;
    }
    const std::string& path() const { return path_; }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        formatter_->format(msg, line);
        const char* p = line.data();
        std::size_t left = line.size();
        while (left > 0) {
            const ssize_t n = ::write(fd_, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;  // logging never throws; a full disk loses the line
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }
    void flush_() override {}

private:
    static int open_file(const std::string& path) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0) throw std::runtime_error("cannot open log file " + path + ": " + std::strerror(errno));
        return fd;
    }
    std::string path_;
    int fd_ = -1;
};

std::string_view level_word(spdlog::level::level_enum l) {
    switch (l) {
        case spdlog::level::trace: return "trace";
        case spdlog::level::debug: return "debug";
        case spdlog::level::info: return "info";
        case spdlog::level::warn: return "warn";
        case spdlog::level::err: return "error";
        case spdlog::level::critical: return "critical";
        default: return "off";
    }
}

// {"time":"2026-12-02T16:00:00.123Z","level":"info","logger":"araldo","message":"..."}
class json_formatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        std::string line = R"({"time":")" + format_utc(msg.time, time_precision::milliseconds) + R"(","level":")" +
                           std::string(level_word(msg.level)) + R"(","logger":)";
        append_json_string(line, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
        line += R"(,"message":)";
        append_json_string(line, std::string_view(msg.payload.data(), msg.payload.size()));
        line += "}\n";
        dest.append(line.data(), line.data() + line.size());
    }
    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<json_formatter>(); }
};

struct logging_state {
    std::shared_ptr<spdlog::sinks::dist_sink_st> sink = make_sink();
    std::shared_ptr<file_sink> file;  // when log-file is set
    spdlog::level::level_enum level = spdlog::level::info;
    bool json = false;
    std::map<std::string, spdlog::level::level_enum, std::less<>> by_logger;

    static std::shared_ptr<spdlog::sinks::dist_sink_st> make_sink() {
        auto dist = std::make_shared<spdlog::sinks::dist_sink_st>();
        dist->add_sink(std::make_shared<spdlog::sinks::stderr_color_sink_st>());
        dist->set_formatter(std::make_unique<spdlog::pattern_formatter>(text_pattern));
        return dist;
    }

    spdlog::level::level_enum level_of(std::string_view logger) const {
        auto it = by_logger.find(logger);
        return it == by_logger.end() ? level : it->second;
    }
};

logging_state& state() {
    static logging_state s;
    return s;
}

struct level_name {
    std::string_view name;
    std::string_view canonical;
    spdlog::level::level_enum level;
};

constexpr level_name level_names[] = {
    {"trace", "trace", spdlog::level::trace},
    {"debug", "debug", spdlog::level::debug},
    {"info", "info", spdlog::level::info},
    {"warn", "warn", spdlog::level::warn},
    {"warning", "warn", spdlog::level::warn},
    {"error", "error", spdlog::level::err},
    {"critical", "critical", spdlog::level::critical},
    {"fatal", "critical", spdlog::level::critical},
    {"off", "off", spdlog::level::off},
};

const level_name* find_level(std::string_view name) {
    for (const auto& l : level_names)
        if (l.name == name) return &l;
    return nullptr;
}

void apply_levels() {
    spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->set_level(state().level_of(l->name())); });
}

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
    if (const auto* l = find_level(name)) return l->level;
    return std::nullopt;
}

std::string canonical_log_level(std::string_view name) {
    if (const auto* l = find_level(name)) return std::string(l->canonical);
    return std::string(name);
}

void set_log_level(const std::string& level) {
    const auto found = parse_log_level(level);
    if (!found) throw std::invalid_argument("unknown log level '" + level + "' (valid: " + log_level_names + ")");
    state().level = *found;
    apply_levels();
}

void configure_logging(const std::string& level, const log_settings& settings) {
    auto& s = state();
    s.by_logger.clear();
    for (const auto& [logger, name] : settings.levels) {
        const auto l = parse_log_level(name);
        if (!l) throw std::invalid_argument("unknown log level '" + name + "' (valid: " + log_level_names + ")");
        s.by_logger[logger == "core" ? "araldo" : logger] = *l;
    }
    s.json = settings.json;
    if (settings.json) {
        s.sink->set_formatter(std::make_unique<json_formatter>());
    } else {
        s.sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(text_pattern));
    }
    set_log_level(level);
}

void open_log_file(const std::string& path) {
    auto& s = state();
    auto file = std::make_shared<file_sink>(path);
    s.file = file;
    // The sinks are swapped whole, so the formatter set on the distributor
    // must be given to the new one too.
    auto formatter = s.json ? std::unique_ptr<spdlog::formatter>(std::make_unique<json_formatter>())
                            : std::make_unique<spdlog::pattern_formatter>(text_pattern);
    s.sink->set_sinks({file});
    s.sink->set_formatter(std::move(formatter));
}

bool reopen_log_file() {
    if (!state().file) return false;
    state().file->reopen();
    return true;
}

void init_logging(const std::string& level) {
    if (!spdlog::get("araldo")) {
        auto logger = std::make_shared<spdlog::logger>("araldo", state().sink);
        spdlog::register_logger(logger);
        spdlog::set_default_logger(logger);
    }
    set_log_level(level);
}

std::shared_ptr<spdlog::logger> core_logger() {
    if (auto l = spdlog::get("araldo")) return l;
    init_logging("info");
    return spdlog::get("araldo");
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name) {
    if (auto l = spdlog::get(name)) return l;
    auto logger = std::make_shared<spdlog::logger>(name, state().sink);
    logger->set_level(state().level_of(name));
    spdlog::register_logger(logger);
    return logger;
}

}  // namespace araldo::detail
