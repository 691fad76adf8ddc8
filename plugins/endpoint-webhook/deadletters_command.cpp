#include "deadletters_command.hpp"

#include "store.hpp"

#include <araldo/encoding.hpp>
#include <araldo/time.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ostream>

namespace araldo::plugins::endpoint_webhook {

namespace {

constexpr int exit_ok = 0, exit_failure = 1, exit_usage = 2;

const char* usage =
    "araldo deadletters list [--endpoint NAME] [--json] -c araldo.yaml\n"
    "araldo deadletters retry (ID... | --all [--endpoint NAME]) [--port P] -c araldo.yaml\n"
    "araldo deadletters purge --days N [--endpoint NAME] -c araldo.yaml";

const char* help_text =
    "Dead letters of the webhook endpoints (files under <data-dir>/webhook/<endpoint>/deadletters/).\n"
    "\n"
    "  list    prints them, oldest first (--json: as a JSON array); reads the files\n"
    "  retry   asks the running relay (admin API, global.admin-token) to queue them again\n"
    "  purge   removes those older than --days N (0: all); reads the files\n"
    "\n"
    "Options take their value after a space or '=' (--days 30, --days=30).\n"
    "Exit codes: 0 done, 1 failed, 2 usage.\n";

struct args {
    std::string action, endpoint;
    std::vector<std::string> ids;
    std::optional<long long> days;
    std::optional<unsigned> port;
    bool json = false, all = false, help = false;
};

bool is_help(const std::string& s) { return s == "--help" || s == "-h"; }

std::optional<long long> number(const std::string& s) {
    long long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v < 0) return std::nullopt;
    return v;
}

// nullopt (after printing why) when the arguments do not parse.
std::optional<args> parse(const std::vector<std::string>& in, std::ostream& err) {
    args a;
    if (in.empty()) return std::nullopt;
    if (std::any_of(in.begin(), in.end(), is_help)) {
        a.help = true;
        return a;
    }
    a.action = in[0];
    for (std::size_t i = 1; i < in.size(); ++i) {
        // "--days=30" is "--days 30".
        std::string s = in[i];
        std::optional<std::string> inline_value;
        if (auto eq = s.find('='); s.starts_with("--") && eq != std::string::npos) {
            inline_value = s.substr(eq + 1);
            s.resize(eq);
        }
        auto value = [&]() -> std::optional<std::string> {
            if (inline_value) return inline_value;
            if (i + 1 < in.size()) return in[++i];
            err << "araldo deadletters: " << s << " needs a value\n";
            return std::nullopt;
        };
        if (inline_value && (s == "--json" || s == "--all")) {
            err << "araldo deadletters: " << s << " takes no value\n";
            return std::nullopt;
        }
        if (s == "--json") {
            a.json = true;
        } else if (s == "--all") {
            a.all = true;
        } else if (s == "--endpoint") {
            auto v = value();
            if (!v) return std::nullopt;
            a.endpoint = *v;
        } else if (s == "--days" || s == "--port") {
            auto v = value();
            auto n = v ? number(*v) : std::nullopt;
            if (!n || (s == "--port" && *n > 65535)) {
                if (v) err << "araldo deadletters: " << s << " needs a non-negative number, got '" << *v << "'\n";
                return std::nullopt;
            }
            if (s == "--days") a.days = *n;
            else a.port = static_cast<unsigned>(*n);
        } else if (!s.starts_with("-") && a.action == "retry") {
            a.ids.push_back(s);
        } else {
            err << "araldo deadletters: unexpected argument '" << s << "'\n";
            return std::nullopt;
        }
    }
    return a;
}

std::string utc(std::int64_t ms) {
    return araldo::format_utc(std::chrono::system_clock::time_point{std::chrono::milliseconds{ms}});
}

int list(const args& a, command_context& ctx) {
    auto letters = list_dead_letters(ctx.global.data_dir, a.endpoint);
    if (a.json) {
        boost::json::array arr;
        for (auto& f : letters) arr.push_back(boost::json::parse(to_json(f.d)));
        ctx.out << boost::json::serialize(arr) << "\n";
        return exit_ok;
    }
    for (auto& f : letters) {
        ctx.out << utc(f.d.dead_at_ms) << "  " << f.d.endpoint << "  " << f.d.id << "  attempts=" << f.d.attempts
                << "  " << f.d.last_error << "\n";
    }
    ctx.out << letters.size() << " dead letters\n";
    return exit_ok;
}

int purge(const args& a, command_context& ctx) {
    if (!a.days) {
        ctx.err << "araldo deadletters purge: --days N is required (0 removes them all)\n";
        return exit_usage;
    }
    std::int64_t cutoff = unix_ms_now() - *a.days * 86'400'000LL;
    std::size_t removed = 0, failed = 0;
    for (auto& f : list_dead_letters(ctx.global.data_dir, a.endpoint)) {
        if (*a.days > 0 && f.d.dead_at_ms >= cutoff) continue;
        std::error_code ec;
        if (fs::remove(f.path, ec)) {
            ++removed;
        } else {
            ++failed;
            ctx.err << "cannot remove " << f.path.string() << ": " << ec.message() << "\n";
        }
    }
    ctx.out << "purged " << removed << " dead letters older than " << *a.days << " days\n";
    return failed ? exit_failure : exit_ok;
}

// One request to the running relay's admin API: {status, body}; status 0 when unreachable.
std::pair<int, std::string> admin_post(const command_context& ctx, unsigned port, const std::string& target) {
    namespace asio = boost::asio;
    std::string host = ctx.global.bind;
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host == "::") host = "::1";
    try {
        asio::io_context io;
        asio::ip::tcp::resolver resolver(io);
        asio::ip::tcp::socket socket(io);
        asio::connect(socket, resolver.resolve(host, std::to_string(port)));
        std::string req = "POST " + target + " HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " +
                          ctx.global.admin_token + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        asio::write(socket, asio::buffer(req));
        std::string reply;
        boost::system::error_code ec;
        asio::read(socket, asio::dynamic_buffer(reply), ec);
        auto sp = reply.find(' ');
        int status = sp == std::string::npos ? 0 : std::atoi(reply.c_str() + sp + 1);
        auto body = reply.find("\r\n\r\n");
        return {status, body == std::string::npos ? std::string{} : reply.substr(body + 4)};
    } catch (const std::exception& e) {
        return {0, std::string("cannot reach the relay at ") + host + ":" + std::to_string(port) + ": " + e.what()};
    }
}

// A path segment for the request line (endpoint names are free text).
std::string encode_segment(std::string_view s) { return percent_encode(s, percent_keep::unreserved); }

// Each endpoint has its own admin paths, so the files say where a retry goes:
// an id to every endpoint that holds it as a dead letter (one message can die
// on two endpoints), --all to the endpoint named or every one with dead
// letters. Ids found nowhere are reported in `missing`.
std::vector<std::string> retry_targets(const args& a, const command_context& ctx, std::vector<std::string>& missing) {
    auto endpoint_of = [](const dead_letter_file& f) { return f.path.parent_path().parent_path().filename().string(); };
    const auto letters = list_dead_letters(ctx.global.data_dir, a.endpoint);
    std::vector<std::string> targets;
    auto add = [&](std::string t) {
        if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(std::move(t));
    };
    if (a.all) {
        if (!a.endpoint.empty()) add("/_admin/endpoints/" + encode_segment(a.endpoint) + "/deadletters/retry");
        for (const auto& f : letters) add("/_admin/endpoints/" + encode_segment(endpoint_of(f)) + "/deadletters/retry");
    }
    for (const auto& id : a.ids) {
        bool found = false;
        for (const auto& f : letters) {
            if (f.d.id != id) continue;
            found = true;
            add("/_admin/endpoints/" + encode_segment(endpoint_of(f)) + "/deadletters/" + encode_segment(id) +
                "/retry");
        }
        if (!found) missing.push_back(id);
    }
    return targets;
}

int retry(const args& a, command_context& ctx) {
    if (a.ids.empty() == !a.all) {
        ctx.err << "araldo deadletters retry: give dead letter ids, or --all\n" << usage << "\n";
        return exit_usage;
    }
    if (ctx.global.admin_token.empty()) {
        ctx.err << "araldo deadletters retry: global.admin-token is empty, so the relay's admin API is disabled\n";
        return exit_failure;
    }
    unsigned port = a.port.value_or(ctx.global.server_port);
    std::vector<std::string> missing;
    const auto targets = retry_targets(a, ctx, missing);
    int code = exit_ok;
    for (const auto& id : missing) {
        ctx.err << "no dead letter " << id << " under " << ctx.global.data_dir << "\n";
        code = exit_failure;
    }
    if (a.all && targets.empty()) ctx.out << "0 dead letters to retry\n";
    for (const auto& t : targets) {
        auto [status, body] = admin_post(ctx, port, t);
        (status >= 200 && status < 300 ? ctx.out : ctx.err)
            << (status ? std::to_string(status) + " " : "") << body << (body.ends_with('\n') ? "" : "\n");
        if (status < 200 || status >= 300) code = exit_failure;
    }
    return code;
}

}  // namespace

araldo::command deadletters_command() {
    araldo::command c;
    c.name = "deadletters";
    c.usage = usage;
    c.run = [](command_context& ctx) -> int {
        auto a = parse(ctx.args, ctx.err);
        if (!a) {
            ctx.err << usage << "\n";
            return exit_usage;
        }
        if (a->help) {
            ctx.out << usage << "\n\n" << help_text;
            return exit_ok;
        }
        try {
            if (a->action == "list") return list(*a, ctx);
            if (a->action == "purge") return purge(*a, ctx);
            if (a->action == "retry") return retry(*a, ctx);
        } catch (const std::exception& e) {
            ctx.err << "araldo deadletters " << a->action << ": " << e.what() << "\n";
            return exit_failure;
        }
        ctx.err << "araldo deadletters: unknown action '" << a->action << "'\n" << usage << "\n";
        return exit_usage;
    };
    return c;
}

}  // namespace araldo::plugins::endpoint_webhook
