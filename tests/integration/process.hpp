#pragma once
// Starts the real `warden` binary (serve or mock-upstream) as a child process
// for integration tests, reads its "listening on HOST:PORT" line, and stops it.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace warden::testing {

class Process {
 public:
  // Runs WARDEN_BIN with `args`; `env` is added to this process's environment.
  // When `wait_for_listen`, blocks until the child prints its listening line
  // (at most 10 s) and records the port.
  Process(std::vector<std::string> args, std::map<std::string, std::string> env = {},
          bool wait_for_listen = true);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends `signal`; returns immediately.
  void signal(int signal);
  // Waits for the exit (at most `timeout`); returns the exit code, 128+signal,
  // or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  // All the child wrote to stderr so far.
  std::string stderr_text() const;
  // All of stdout read so far plus what is pending (after exit).
  std::string stdout_text();

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stdout_;
  std::string stderr_path_;
  std::uint16_t port_ = 0;
  int exit_code_ = -1;
  bool exited_ = false;
};

// The binary under test (env WARDEN_BIN).
std::string warden_binary();
// A loopback port nothing listens on (bound, then released).
std::uint16_t unused_port();
// A fresh temporary directory.
std::string temp_dir();

}  // namespace warden::testing
