// fingerprint-eval child processes: every measurement is its own process (fork + execve), so that
// process-level state (CPU dispatch, environment variables, an emulator) is what is measured.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "hwlock/fingerprint_eval.hpp"

extern char** environ;

namespace hwlock::fingerprint::eval {
namespace {

// Closes the descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// The child's environment: ours, minus names that env_add overrides, plus env_add.
std::vector<std::string> child_environment(const std::vector<std::string>& env_add) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv(*e);
    const std::string name = kv.substr(0, kv.find('='));
    bool overridden = false;
    for (const auto& a : env_add) overridden |= a.substr(0, a.find('=')) == name;
    if (!overridden) out.push_back(kv);
  }
  out.insert(out.end(), env_add.begin(), env_add.end());
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<ChildResult> run_child(const std::vector<std::string>& argv_in,
                              const std::vector<std::string>& env_add, double timeout_s) {
  if (argv_in.empty()) return fail(Errc::usage, "run_child: empty command");
  std::vector<std::string> args = argv_in, envs = child_environment(env_add);
  auto argv = c_strings(args);
  auto envp = c_strings(envs);
  int out_pipe[2], err_pipe[2], exec_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(exec_pipe, O_CLOEXEC) != 0)
    return fail(Errc::io_open, std::string("cannot create pipes: ") + std::strerror(errno));
  Fd out_r{out_pipe[0]}, out_w{out_pipe[1]}, err_r{err_pipe[0]}, err_w{err_pipe[1]},
      exec_r{exec_pipe[0]}, exec_w{exec_pipe[1]};
  const pid_t pid = ::fork();
  if (pid < 0) return fail(Errc::io_open, std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: only async-signal-safe calls until execve.
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    const int e = errno;
    (void)!::write(exec_pipe[1], &e, sizeof e);
    ::_exit(127);
  }
  out_w.reset();
  err_w.reset();
  exec_w.reset();
  int exec_errno = 0;
  if (::read(exec_r.fd, &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
    ::waitpid(pid, nullptr, 0);
    return fail(Errc::io_open,
                "cannot run " + args[0] + ": " + std::string(std::strerror(exec_errno)));
  }
  ChildResult r;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(timeout_s));
  bool killed = false;
  char buf[65536];
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    pollfd fds[2] = {{out_r.fd, POLLIN, 0}, {err_r.fd, POLLIN, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    const int n = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      Fd& which = i == 0 ? out_r : err_r;
      if (got <= 0) {
        which.reset();
        continue;
      }
      std::string& dst = i == 0 ? r.out : r.err;
      dst.append(buf, static_cast<std::size_t>(got));
      if (i == 1 && r.err.size() > 8192) r.err.erase(0, r.err.size() - 4096);
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (r.err.size() > 4096) r.err.erase(0, r.err.size() - 4096);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.exit_code = 128 + WTERMSIG(status);
  if (killed) r.err += "\n(killed after " + std::to_string(timeout_s) + " s)";
  return r;
}

std::optional<std::string> find_program(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    const std::string p(name);
    return ::access(p.c_str(), X_OK) == 0 ? std::optional<std::string>(p) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string p = (dir.empty() ? "." : dir) + "/" + std::string(name);
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return std::nullopt;
}

Result<BitVector> parse_fingerprint_json(std::string_view text, std::string_view origin) {
  const std::string where(origin);
  const auto brace = text.find('{');
  const auto j = brace == std::string_view::npos
                     ? nlohmann::json()
                     : nlohmann::json::parse(text.substr(brace), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(Errc::key_source, where + ": output is not a JSON object");
  if (!j.value("ok", false)) {
    std::string msg = "measurement failed";
    if (j.contains("error") && j["error"].is_object())
      msg = j["error"].value("message", msg) + " [" + j["error"].value("code", "") + "]";
    return fail(Errc::key_source, where + ": " + msg);
  }
  const auto* runs = j.contains("runs") ? &j["runs"] : nullptr;
  if (!runs || !runs->is_array() || runs->empty() || !(*runs)[0].contains("bits_hex") ||
      !(*runs)[0]["bits_hex"].is_string() || !j.contains("bits") || !j["bits"].is_number_unsigned())
    return fail(Errc::key_source, where + ": output lacks bits or runs[0].bits_hex");
  const std::string hex = (*runs)[0]["bits_hex"].get<std::string>();
  const std::size_t nbits = j["bits"].get<std::size_t>();
  if (hex.size() != 2 * ((nbits + 7) / 8))
    return fail(Errc::key_source, where + ": bits_hex has " + std::to_string(hex.size()) +
                                      " digits for " + std::to_string(nbits) + " bits");
  std::vector<std::uint8_t> bytes(hex.size() / 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    char* end = nullptr;
    const std::string pair = hex.substr(2 * i, 2);
    bytes[i] = static_cast<std::uint8_t>(std::strtoul(pair.c_str(), &end, 16));
    if (end != pair.c_str() + 2)
      return fail(Errc::key_source, where + ": bits_hex is not hexadecimal");
  }
  const std::size_t tail = nbits % 8;
  if (tail && (bytes.back() >> tail) != 0)
    return fail(Errc::key_source, where + ": bits_hex has bits set past the fingerprint's end");
  return BitVector::from_bytes(bytes, nbits);
}

}  // namespace hwlock::fingerprint::eval
