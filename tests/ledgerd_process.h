// A real ledgerd child process for tests that drive it from outside (crash
// loop, protocol abuse, authorization, audit access): started on a loopback
// port (0: a free one), its stderr appended to a log file, killed with the
// test, and observable from /proc (resident memory, open descriptors).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace pl::test {

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LedgerdProcess {
 public:
  // Starts `ledgerd --data data --listen 127.0.0.1:port flags...` and waits
  // (up to 30 s) for the line that says it listens; listening() tells.
  LedgerdProcess(const std::string& ledgerd, const std::string& data, std::uint16_t port,
                 const std::vector<std::string>& flags, const std::string& log_path)
      : log_(log_path) {
    std::vector<std::string> args{ledgerd, "--data", data, "--listen",
                                  "127.0.0.1:" + std::to_string(port)};
    args.insert(args.end(), flags.begin(), flags.end());
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ < 0) return;
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test, even on a timeout
      if (::getppid() == 1) ::_exit(127);
      const int err = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(out[1], 1);
      ::dup2(err, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    const auto at = line.find("127.0.0.1:");
    if (line.find("ledgerd listening on") == std::string::npos || at == std::string::npos) return;
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(at + 10)));
  }

  ~LedgerdProcess() {
    Kill();
    if (out_ >= 0) ::close(out_);
  }
  LedgerdProcess(const LedgerdProcess&) = delete;
  LedgerdProcess& operator=(const LedgerdProcess&) = delete;

  bool listening() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/ws"; }
  std::string Log() const { return ReadWholeFile(log_); }

  // SIGKILL, and waits for it to be gone. Idempotent.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Resident memory (VmRSS) in KiB, and open descriptors, from /proc; -1
  // when it is not running.
  long ResidentKiB() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string key;
    while (in >> key) {
      if (key == "VmRSS:") {
        long kib = -1;
        in >> kib;
        return kib;
      }
    }
    return -1;
  }
  long OpenDescriptors() const {
    std::error_code ec;
    std::filesystem::directory_iterator it("/proc/" + std::to_string(pid_) + "/fd", ec);
    if (ec) return -1;
    long n = 0;
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (ec) return -1;
      ++n;
    }
    return n;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::uint16_t port_ = 0;
  std::string log_;
};

}  // namespace pl::test
