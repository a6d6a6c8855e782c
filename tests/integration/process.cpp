#include "integration/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace warden::testing {

std::string warden_binary() {
  const char* bin = std::getenv("WARDEN_BIN");
  if (bin == nullptr) throw std::runtime_error("WARDEN_BIN is not set");
  return bin;
}

std::uint16_t unused_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string temp_dir() {
  std::string pattern = "/tmp/warden-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

Process::Process(std::vector<std::string> args, std::map<std::string, std::string> env,
                 bool wait_for_listen) {
  stderr_path_ = temp_dir() + "/stderr.log";
  // Every gateway records into its own fresh data directory unless told otherwise.
  if (!args.empty() && args[0] == "serve") env.emplace("WARDEN_DATA_DIR", temp_dir());
  int out_pipe[2];
  if (pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
  const std::string binary = warden_binary();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // A test binary that crashes must not leave its servers running.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out_pipe[1], STDOUT_FILENO);
    const int err = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(err, STDERR_FILENO);
    close(out_pipe[0]);
    for (const auto& [key, value] : env) setenv(key.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  stdout_fd_ = out_pipe[0];
  if (!wait_for_listen) return;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char buf[256];
      const ssize_t n = read(stdout_fd_, buf, sizeof buf);
      if (n <= 0) break;
      stdout_.append(buf, static_cast<std::size_t>(n));
      const auto at = stdout_.find("listening on ");
      const auto eol = at == std::string::npos ? at : stdout_.find('\n', at);
      if (eol != std::string::npos) {
        const std::string address = stdout_.substr(at + 13, eol - at - 13);
        port_ = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
        return;
      }
    }
  }
  signal(SIGKILL);
  wait(std::chrono::seconds(5));
  throw std::runtime_error("child did not start listening; stderr: " + stderr_text());
}

Process::~Process() {
  if (!exited_) {
    signal(SIGKILL);
    wait(std::chrono::seconds(5));
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

void Process::signal(int sig) {
  if (!exited_ && pid_ > 0) kill(pid_, sig);
}

int Process::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exited_) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

std::string Process::stderr_text() const {
  std::ifstream in(stderr_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Process::stdout_text() {
  char buf[4096];
  while (true) {
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) break;
    const ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) break;
    stdout_.append(buf, static_cast<std::size_t>(n));
  }
  return stdout_;
}

}  // namespace warden::testing
