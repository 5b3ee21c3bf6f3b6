#pragma once

// Test support for cross-process tests: the path of the real `netfin`
// binary, running it as a command, and `netfin serve` as a child process.

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "api/auth.h"
#include "api/key_registry.h"
#include "core/crypto.h"

namespace netfin::testing {

// CTest sets NETFIN_BIN to the binary of this build.
inline std::string NetfinBin() {
  const char* bin = std::getenv("NETFIN_BIN");
  return bin != nullptr ? bin : "netfin";
}

// Runs a shell command with its output discarded; returns its exit code.
inline int ExitCode(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// What a command printed and its exit code.
struct CommandRun {
  int exit_code = -1;
  std::string output;  // stdout, and stderr too when asked
};

// Runs a shell command to completion; its stderr joins stdout when
// with_stderr, else is discarded.
inline CommandRun RunCommand(const std::string& command, bool with_stderr) {
  CommandRun run;
  FILE* pipe = popen((command + (with_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// Runs `netfin ARGS` (see RunCommand).
inline CommandRun RunNetfin(const std::string& args, bool with_stderr) {
  return RunCommand(NetfinBin() + " " + args, with_stderr);
}

// `netfin serve ARGS...` as a child process. The constructor waits (30 s at
// most) for the "netfin listening on http://HOST:PORT" line; port() is 0 if
// it never came.
class ServerProcess {
 public:
  explicit ServerProcess(const std::vector<std::string>& args) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      const std::string bin = NetfinBin();
      std::vector<char*> argv{const_cast<char*>(bin.c_str()), const_cast<char*>("serve")};
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    close(out[1]);
    stdout_fd_ = out[0];  // kept open: the server must never meet a closed stdout
    port_ = ReadPort(stdout_fd_);
  }
  ~ServerProcess() {
    if (pid_ > 0) Signal(SIGKILL);
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }

  // Sends the signal and waits for the process; returns its exit code, or
  // 128 + the signal that ended it.
  int Signal(int signal_number) {
    kill(pid_, signal_number);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  static uint16_t ReadPort(int fd) {
    std::string line;
    for (int waited_ms = 0; waited_ms < 30'000 && line.find('\n') == std::string::npos;) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) {
        waited_ms += 100;
        continue;
      }
      char buffer[256];
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) break;
      line.append(buffer, static_cast<size_t>(n));
    }
    const size_t colon = line.rfind(':', line.find(" (db"));
    return colon == std::string::npos ? 0 : static_cast<uint16_t>(std::atoi(line.c_str() + colon + 1));
  }

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  uint16_t port_ = 0;
};

// The operator's signer for a server on db (its master key is db + ".key",
// which `netfin serve` creates on first start).
inline std::shared_ptr<const api::RequestSigner> OperatorSigner(const std::string& db) {
  auto key = core::SecretKey::LoadOrCreate(db + ".key");
  if (!key.ok()) return nullptr;
  return std::make_shared<api::RequestSigner>(std::string(api::kOperatorKeyId),
                                              api::ApiKeySecret(key.value(), api::kOperatorKeyId));
}

}  // namespace netfin::testing
