// One side of endpoint-file's I/O: a path or "-" (stdin/stdout), opened for
// reading or for writing, with the same calls whatever it turned out to be.
//
// Pipes, ttys and sockets go through the reactor (asio::posix::stream_descriptor).
// epoll refuses regular files (and a few devices such as /dev/null), whose
// reads and writes never wait: those are read and written with plain
// read()/writev(), yielding to the event loop between reads. The endpoint's
// logic never sees which kind it has, except for one thing: a terminal may
// belong to another job (`araldo &`), and reading it then stops the whole
// process (SIGTTIN), so read_some() refuses to read it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace araldo::plugins::endpoint_file {

namespace asio = boost::asio;
using boost::system::error_code;

enum class file_direction { read, write };

class file_channel {
public:
    // Opens `path` ("-": stdin for reading, stdout for writing). A file opened
    // for writing is created if missing and appended to. A named pipe is opened
    // read-write, so it never reports end of input while its writers come and
    // go, and opening it never waits for the other side.
    // Throws std::system_error whose code says why.
    file_channel(const asio::any_io_executor& ex, const std::string& path, file_direction dir);
    ~file_channel();
    file_channel(const file_channel&) = delete;
    file_channel& operator=(const file_channel&) = delete;

    // "stdin", "stdout" or the path, for log lines.
    const std::string& describe() const noexcept { return name_; }
    // True when I/O goes through the reactor.
    bool polled() const noexcept { return stream_.has_value(); }

    // Reads at least one byte. End of input is asio::error::eof; after
    // cancel(), asio::error::operation_aborted. On the controlling terminal
    // while the process is not in its foreground process group, nothing is
    // read and the result is asio::error::try_again: ask again later.
    asio::awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buf);

    // True when the input is our controlling terminal and another process
    // group owns its foreground: a read() would stop the process (SIGTTIN).
    bool terminal_in_background() const noexcept;

    // Writes all the buffers, in order.
    asio::awaitable<error_code> write_all(const std::vector<asio::const_buffer>& buffers);

    // Makes a pending polled operation complete with operation_aborted.
    void cancel() noexcept;

private:
    asio::awaitable<std::pair<error_code, std::size_t>> read_terminal(asio::mutable_buffer buf);
    error_code write_plain(const std::vector<asio::const_buffer>& buffers);

    std::string name_;
    int fd_ = -1;                                           // plain I/O; owned
    std::optional<asio::posix::stream_descriptor> stream_;  // polled I/O; owns its fd
    int restore_flags_ = -1;                                // file status flags to put back on a shared std stream
    bool cancelled_ = false;
    bool terminal_ = false;  // an input that is a tty: read only while in its foreground
    int terminal_fd_ = -1;   // stream_'s descriptor then (native_handle() is not const)
};

}  // namespace araldo::plugins::endpoint_file
