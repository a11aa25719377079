#pragma once
// The two messages of sd_notify(3) the daemon sends, without libsystemd: a
// datagram to the unix socket named by $NOTIFY_SOCKET. Under Type=notify,
// READY=1 tells systemd the listeners are bound (units ordered after the bridge
// start only then); WATCHDOG=1 at half of WatchdogSec proves the event loop
// still runs, or systemd restarts the daemon.
#include <chrono>
#include <string>
#include <string_view>

namespace app::systemd {

// Sends `state` ("READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=...") to
// $NOTIFY_SOCKET. False when the variable is unset (not started by systemd) or
// the send fails; the daemon runs on either way.
bool notify(std::string_view state);
// The same to an explicit socket path; "@name" is an abstract socket.
bool notify_to(const std::string& socket, std::string_view state);

// How often to send WATCHDOG=1: half of $WATCHDOG_USEC when it is set for this
// process ($WATCHDOG_PID unset or ours), else zero (no watchdog).
std::chrono::microseconds watchdog_interval();

}  // namespace app::systemd
