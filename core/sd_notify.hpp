// systemd's readiness protocol without libsystemd: a datagram to the unix
// socket named by NOTIFY_SOCKET ("READY=1", "RELOADING=1", "STOPPING=1",
// "STATUS=..."). Without NOTIFY_SOCKET (not under a Type=notify unit) it
// does nothing.
#pragma once

#include <string>
#include <string_view>

namespace araldo::detail {

// Sends `state` (newline-separated assignments). Never blocks: a full socket
// buffer drops the message. Returns an empty string when sent or when there
// is no NOTIFY_SOCKET, else why it failed (for the caller's log).
std::string sd_notify(std::string_view state);

}  // namespace araldo::detail
