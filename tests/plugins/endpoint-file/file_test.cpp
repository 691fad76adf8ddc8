// stdin lines -> endpoint-file (marshal-json) -> routes -> endpoint-file outputs,
// through the real binary, checked line for line; and what the file endpoint
// must not do: read a terminal another job owns, or create files at --check.
#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <csignal>
#include <optional>
#include <regex>
#include <sstream>

extern char** environ;

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

const char* pipeline = R"(global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: stdin, id: endpoint-file, input: "-", marshalling: json}
    - {name: all, id: endpoint-file, output: "{DIR}/all.jsonl", marshalling: json}
    - {name: comments, id: endpoint-file, output: "{DIR}/comments.jsonl", marshalling: json}
routes:
  stdin:
    - all
    - { to: comments, type: "comment-*" }
)";

std::size_t count_lines(const std::string& text) {
    std::size_t n = 0;
    for (char c : text) n += c == '\n';
    return n;
}

}  // namespace

TEST_CASE("stdin lines pass through marshal-json to file outputs, line for line", "[integration][file]") {
    relay r(pipeline, {.pipe_stdin = true});
    std::string expected_all, expected_comments, input;
    for (int i = 0; i < 1000; ++i) {
        std::string type = i % 3 == 0 ? "comment-added" : "like";
        std::string line = R"({"type":")" + type + R"(","parameters":{"n":)" + std::to_string(i) + "}}";
        input += line + "\n";
        expected_all += line + "\n";
        if (i % 3 == 0) expected_comments += line + "\n";
        if (i % 100 == 7) input += "{not json\n";  // rejected, counted, never routed
    }
    r.process().write_stdin(input);
    r.process().close_stdin();

    REQUIRE(wait_until([&] { return count_lines(read_file(r.path("all.jsonl"))) >= 1000; }));
    REQUIRE(wait_until([&] { return count_lines(read_file(r.path("comments.jsonl"))) >= 334; }));
    CHECK(read_file(r.path("all.jsonl")) == expected_all);
    CHECK(read_file(r.path("comments.jsonl")) == expected_comments);
    CHECK(r.process().wait_for_err("input closed after 1010 lines"));

    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
    CHECK_THAT(r.process().err(), Catch::Contains("rejected by marshal-json"));
}

TEST_CASE("an input file is read to its end and raw payloads are written as they came", "[integration][file]") {
    temp_dir in;
    std::string lines;
    for (int i = 0; i < 5000; ++i) lines += "line " + std::to_string(i) + " \xE2\x9C\x93\r\n";
    std::string input = in.write("in.txt", lines);
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: src, id: endpoint-file, input: ")" +
            input + R"("}
    - {name: dst, id: endpoint-file, output: "{DIR}/out.txt"}
routes:
  src: [dst]
)");
    std::string expected;
    for (int i = 0; i < 5000; ++i) expected += "line " + std::to_string(i) + " \xE2\x9C\x93\n";
    REQUIRE(wait_until([&] { return read_file(r.path("out.txt")).size() >= expected.size(); }));
    CHECK(read_file(r.path("out.txt")) == expected);
    r.process().signal(SIGINT);
    CHECK(r.process().wait(10s) == 0);
}

namespace {

// `araldo -c config &` typed into an interactive shell, rebuilt without one:
// a new session on a fresh pseudo-terminal, whose leader (the "shell") stays
// in the terminal's foreground while araldo runs in a process group of its
// own, with the terminal as its stdin. Unless told to bring araldo to the
// foreground (the shell's `fg`), the leader just waits for it and exits with
// its exit code.
class background_job {
public:
    background_job(const std::string& config, const std::string& err_path) {
        master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        REQUIRE(master_ >= 0);
        REQUIRE(::grantpt(master_) == 0);
        REQUIRE(::unlockpt(master_) == 0);
        std::string slave = ::ptsname(master_);
        std::vector<std::string> args{ARALDO_BINARY, "-c", config};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        int report[2], control[2];
        REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(control, O_CLOEXEC) == 0);
        const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        leader_ = ::fork();
        REQUIRE(leader_ >= 0);
        if (leader_ == 0) {
            // Without these, the leader's own copies would keep its pipes from ever reaching end of file.
            ::close(master_);
            ::close(report[0]);
            ::close(control[1]);
            lead(slave.c_str(), argv.data(), err_fd, report[1], control[0]);  // never returns
        }
        ::close(err_fd);
        ::close(report[1]);
        ::close(control[0]);
        control_ = control[1];
        REQUIRE(::read(report[0], &relay_, sizeof relay_) == sizeof relay_);
        ::close(report[0]);
    }

    ~background_job() {
        if (control_ >= 0) ::close(control_);
        if (!exit_code_) {
            ::kill(relay_, SIGKILL);
            wait_exit(std::chrono::seconds(5));
        }
        ::close(master_);
    }

    pid_t relay_pid() const { return relay_; }
    int terminal() const { return master_; }

    // The shell's `fg`: the leader gives the terminal's foreground to araldo.
    void foreground() {
        REQUIRE(::write(control_, "f", 1) == 1);
        ::close(control_);
        control_ = -1;
    }

    // araldo's exit code (the leader passes it on), or nullopt if it did not exit in time.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        // No `fg` is coming: the leader goes on to wait for araldo.
        if (control_ >= 0) ::close(control_);
        control_ = -1;
        wait_until(
            [&] {
                int st = 0;
                if (::waitpid(leader_, &st, WNOHANG) != leader_) return false;
                exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                return true;
            },
            timeout);
        return exit_code_;
    }

    // 'T' while stopped by a job-control signal; from /proc/<pid>/stat.
    char relay_state() const {
        std::string stat = read_file("/proc/" + std::to_string(relay_) + "/stat");
        auto paren = stat.rfind(')');
        return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
    }

private:
    // In the forked child: only async-signal-safe calls.
    [[noreturn]] static void lead(const char* slave, char** argv, int err_fd, int report, int control) {
        ::setsid();
        const int tty = ::open(slave, O_RDWR);  // a session leader's first terminal: its controlling one
        if (tty < 0) ::_exit(120);
        ::ioctl(tty, TIOCSCTTY, 0);
        const pid_t relay = ::fork();
        if (relay == 0) {
            ::setpgid(0, 0);  // a job of its own: not the terminal's foreground
            // A test runner may ignore these; a shell's job gets the defaults.
            ::signal(SIGTTIN, SIG_DFL);
            ::signal(SIGTTOU, SIG_DFL);
            ::dup2(tty, 0);
            ::dup2(err_fd, 1);
            ::dup2(err_fd, 2);
            ::execve(argv[0], argv, environ);
            ::_exit(127);
        }
        ::setpgid(relay, relay);  // as shells do, from both sides: no race with the child
        if (::write(report, &relay, sizeof relay) != sizeof relay) ::_exit(121);
        char c = 0;
        if (::read(control, &c, 1) == 1 && c == 'f') ::tcsetpgrp(tty, relay);
        int st = 0;
        while (::waitpid(relay, &st, 0) < 0 && errno == EINTR) {}
        ::_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }

    int master_ = -1;
    int control_ = -1;
    pid_t leader_ = -1;
    pid_t relay_ = -1;
    std::optional<int> exit_code_;
};

const char* console = R"(global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: console-in, id: endpoint-file, input: "-", marshalling: json}
    - {name: out, id: endpoint-file, output: "{DIR}/out.jsonl", marshalling: json}
routes:
  console-in: [out]
)";

}  // namespace

namespace {

// Starts `console` as a background job; returns once it serves and has said
// it leaves the terminal alone (reading it would have stopped it with SIGTTIN).
unsigned short start_in_background(background_job& job, const std::string& err) {
    REQUIRE(wait_until([&] { return read_file(err).find(" listening on ") != std::string::npos; }));
    REQUIRE(wait_until([&] { return read_file(err).find("not reading stdin") != std::string::npos; }));
    CHECK(job.relay_state() != 'T');
    std::smatch m;
    const std::string log = read_file(err);
    REQUIRE(std::regex_search(log, m, std::regex(R"( listening on [^ ]*:(\d+) )")));
    const auto port = static_cast<unsigned short>(std::stoi(m[1]));
    CHECK(http_get(port, "/_health/").status == 200);
    return port;
}

}  // namespace

TEST_CASE("started in the background of a terminal, araldo does not read it, serves, and stops on SIGTERM",
          "[integration][file]") {
    temp_dir dir;
    const std::string err = dir / "araldo.err";
    background_job job(dir.write("araldo.yaml", with_dir(console, dir.path())), err);
    start_in_background(job, err);
    ::kill(job.relay_pid(), SIGTERM);
    CHECK(job.wait_exit(std::chrono::seconds(10)) == 0);
    CHECK(read_file(err).find("not reading stdin") == read_file(err).rfind("not reading stdin"));  // said once
}

TEST_CASE("a background job brought to the foreground reads what is typed from then on", "[integration][file]") {
    temp_dir dir;
    const std::string err = dir / "araldo.err";
    background_job job(dir.write("araldo.yaml", with_dir(console, dir.path())), err);
    start_in_background(job, err);
    job.foreground();  // the shell's `fg`
    const std::string line = R"({"type":"notice","parameters":{"text":"typed"}})";
    const std::string typed = line + "\n";
    REQUIRE(::write(job.terminal(), typed.data(), typed.size()) == static_cast<ssize_t>(typed.size()));
    CHECK(wait_until([&] { return read_file(dir / "out.jsonl") == line + "\n"; }));
    ::kill(job.relay_pid(), SIGTERM);
    CHECK(job.wait_exit(std::chrono::seconds(10)) == 0);
}

TEST_CASE("endpoint-file opens no file at --check, --list-plugins or --print-options", "[integration][file]") {
    temp_dir dir;
    const std::string config = dir.write("araldo.yaml", with_dir(console, dir.path()));
    for (const char* flag : {"--check", "--list-plugins", "--print-options"}) {
        INFO(flag);
        ::unlink((dir / "out.jsonl").c_str());
        auto r = run_command({ARALDO_BINARY, flag, "-c", config}, dir.path());
        CHECK(r.code == 0);
        struct stat st {};
        CHECK(::stat((dir / "out.jsonl").c_str(), &st) != 0);
    }
}

TEST_CASE("relative input and output paths mean the config file's folder, wherever araldo runs",
          "[integration][file]") {
    temp_dir dir;
    ::mkdir((dir / "conf").c_str(), 0700);
    write_file(dir / "conf/in.txt", "one\ntwo\n");
    const std::string config = dir.write("conf/araldo.yaml", R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: in, id: endpoint-file, input: in.txt}
    - {name: out, id: endpoint-file, output: out.txt}
routes:
  in: [out]
)");
    // Started from the temp dir's parent folder, not the config's.
    child_process relay_process({{ARALDO_BINARY, "-c", config}, {}, dir.path(), false, dir.path()});
    REQUIRE(wait_until([&] { return read_file(dir / "conf/out.txt") == "one\ntwo\n"; }));
    CHECK(::access((dir / "out.txt").c_str(), F_OK) != 0);
    relay_process.signal(SIGTERM);
    CHECK(relay_process.wait(10s) == 0);
}
