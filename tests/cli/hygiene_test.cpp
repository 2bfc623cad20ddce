// Plaintext and process hygiene of the CLI: unlocked weights are written owner-only, a writer
// killed by SIGKILL leaves neither a file nor a change behind, and every error, even one from a
// path that is not UTF-8 under --json, ends as a message and its exit code (never an abort).
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "hwlock/synthetic.hpp"
#include "test_util.hpp"

namespace {

using hwlock::test::quote;
using hwlock::test::run;
using hwlock::test::TempDir;

const std::string kCli = HWLOCK_CLI_PATH;

std::set<std::string> entries(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.insert(e.path().filename().string());
  return names;
}

std::string contents(const std::filesystem::path& p) {
  auto bytes = hwlock::test::read_file(p);
  return {bytes.begin(), bytes.end()};
}

// The write offset of the fd of `pid` whose target lies in `dir` (O_TMPFILE files show as
// "<dir>/#<inode> (deleted)"), or -1 while there is none.
long long output_fd_pos(pid_t pid, const std::filesystem::path& dir) {
  const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(fds.c_str());
  if (d == nullptr) return -1;
  long long pos = -1;
  const std::string prefix = dir.string() + "/";
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char target[4096];
    const ssize_t n = ::readlink((fds + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (std::string(target).rfind(prefix, 0) != 0) continue;
    std::ifstream info("/proc/" + std::to_string(pid) + "/fdinfo/" + e->d_name);
    std::string key;
    long long value = 0;
    if (info >> key >> value && key == "pos:") pos = value;
  }
  ::closedir(d);
  return pos;
}

pid_t spawn(const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

class CliHygiene : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(out_dir());
    ASSERT_TRUE(hwlock::write_synthetic_model(dir_ / "m.safetensors", {4u << 20, 3, 128}, false));
    ASSERT_EQ(cli("keygen -o " + quote(dir_ / "k.key")).exit_code, 0);
    ASSERT_EQ(cli("lock " + quote(dir_ / "m.safetensors") + " -o " + quote(dir_ / "m.hwlock") +
                  " --key-file " + quote(dir_ / "k.key"))
                  .exit_code,
              0);
  }
  hwlock::test::RunResult cli(const std::string& args) { return run(kCli + " " + args); }
  std::filesystem::path out_dir() const { return dir_ / "out"; }
  TempDir dir_;
};

TEST_F(CliHygiene, UnlockedWeightsAreOwnerOnlyWhateverTheUmask) {
  for (const char* mask : {"022", "000"}) {
    const auto out = out_dir() / (std::string("plain") + mask + ".safetensors");
    auto r = run("sh -c " + quote("umask " + std::string(mask) + "; exec " + kCli + " unlock " +
                                  (dir_ / "m.hwlock").string() + " -o " + out.string() +
                                  " --key-file " + (dir_ / "k.key").string()));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    struct stat st {};
    ASSERT_EQ(::stat(out.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u) << "umask " << mask;
  }
  // Other outputs keep the umask's say: a locked container is not plaintext.
  const auto locked = out_dir() / "again.hwlock";
  auto r = run("sh -c " +
               quote("umask 022; exec " + kCli + " lock " + (dir_ / "m.safetensors").string() +
                     " -o " + locked.string() + " --key-file " + (dir_ / "k.key").string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  struct stat st {};
  ASSERT_EQ(::stat(locked.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

// Unlocks a 64 MiB model, stops the process once its output file is open and partly written,
// then SIGKILLs it. Returns false if the unlock finished before it could be caught.
bool unlock_and_kill_mid_write(const std::filesystem::path& locked,
                               const std::filesystem::path& key, const std::filesystem::path& out,
                               bool force, std::string& why) {
  std::vector<std::string> args = {kCli,         "unlock",     locked.string(), "-o", out.string(),
                                   "--key-file", key.string(), "--threads",     "1"};
  if (force) args.emplace_back("--force");
  const pid_t pid = spawn(args);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool caught = false, ended = false;
  while (!caught && !ended && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (output_fd_pos(pid, out.parent_path()) > 0) {
      // Freeze it (waitpid WUNTRACED returns once it is stopped), then check it is mid-write.
      ::kill(pid, SIGSTOP);
      if (::waitpid(pid, &status, WUNTRACED) == pid && !WIFSTOPPED(status)) {
        ended = true;
        break;
      }
      const long long pos = output_fd_pos(pid, out.parent_path());
      caught = pos > 0 && pos < (60ll << 20);
      if (!caught) ::kill(pid, SIGCONT);
    } else if (::waitpid(pid, &status, WNOHANG) == pid) {
      ended = true;
    }
  }
  if (ended) {
    why = "unlock ended before it was caught writing";
    return false;
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!caught) {
    why = "never saw the output being written";
    return false;
  }
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
    why = "unlock was not killed by SIGKILL: status " + std::to_string(status);
    return false;
  }
  return true;
}

TEST_F(CliHygiene, KilledUnlockLeavesNoPlaintextAndTheTargetUntouched) {
  ASSERT_TRUE(hwlock::write_synthetic_model(dir_ / "big.safetensors", {64u << 20, 5, 1024}, false));
  ASSERT_EQ(cli("lock " + quote(dir_ / "big.safetensors") + " -o " + quote(dir_ / "big.hwlock") +
                " --key-file " + quote(dir_ / "k.key"))
                .exit_code,
            0);
  hwlock::test::write_file(out_dir() / "target.safetensors", "precious");
  const auto before = entries(out_dir());
  for (const bool force : {true, false}) {
    const auto out = out_dir() / (force ? "target.safetensors" : "new.safetensors");
    bool caught = false;
    std::string why;
    for (int attempt = 0; attempt < 5 && !caught; ++attempt)
      caught = unlock_and_kill_mid_write(dir_ / "big.hwlock", dir_ / "k.key", out, force, why);
    ASSERT_TRUE(caught) << why;
    EXPECT_EQ(entries(out_dir()), before) << "force=" << force;
    EXPECT_EQ(contents(out_dir() / "target.safetensors"), "precious");
  }
}

TEST_F(CliHygiene, NonUtf8PathsUnderJsonGiveAReportNotAnAbort) {
  const std::string bad = "\xff\xfe-model.safetensors";
  // An error whose message names the path: the JSON report and the documented exit code (io_open).
  auto missing = run("{ " + kCli + " inspect --json " + quote(dir_ / bad) + " 2>/dev/null; }");
  ASSERT_EQ(missing.exit_code, 10) << missing.out;
  auto j = nlohmann::json::parse(missing.out);
  EXPECT_FALSE(j["ok"].get<bool>());
  EXPECT_EQ(j["error"]["code"], "io_open");
  auto text = cli("inspect --json " + quote(dir_ / bad));
  EXPECT_EQ(text.exit_code, 10);
  EXPECT_NE(text.out.find("hwlock: error:"), std::string::npos) << text.out;
  // Success with such paths: a valid report (the invalid bytes replaced), exit code 0.
  const auto out = out_dir() / bad;
  auto u = run("{ " + kCli + " unlock --json " + quote(dir_ / "m.hwlock") + " -o " + quote(out) +
               " --key-file " + quote(dir_ / "k.key") + " 2>/dev/null; }");
  ASSERT_EQ(u.exit_code, 0) << u.out;
  auto uj = nlohmann::json::parse(u.out);
  EXPECT_TRUE(uj["ok"].get<bool>());
  EXPECT_NE(uj["output"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
  EXPECT_TRUE(std::filesystem::exists(out));
  auto wrong = run("{ " + kCli + " unlock --json " + quote(dir_ / "m.hwlock") + " -o " +
                   quote(out) + " --key-file " + quote(dir_ / "k.key") + " 2>/dev/null; }");
  EXPECT_EQ(wrong.exit_code, 13) << wrong.out;  // output_exists, reported as JSON
  EXPECT_TRUE(nlohmann::json::accept(wrong.out)) << wrong.out;
}

TEST_F(CliHygiene, RefusedThreadsStillUnlock) {
#if defined(__SANITIZE_ADDRESS__)
  // LeakSanitizer's exit-time check clones a tracer thread, which the limit refuses too.
  GTEST_SKIP() << "sanitizer build: its runtime needs threads of its own";
#endif
  // RLIMIT_NPROC = 1 refuses every new thread, but does not bind root: as root, run the unlock as
  // nobody (setpriv) on copies it owns.
  const std::string prlimit = "/usr/bin/prlimit", setpriv = "/usr/bin/setpriv";
  const bool root = ::geteuid() == 0;
  if (!std::filesystem::exists(prlimit) || (root && !std::filesystem::exists(setpriv)))
    GTEST_SKIP() << "needs prlimit (and setpriv as root)";
  TempDir own;
  for (const char* name : {"m.hwlock", "k.key"})
    std::filesystem::copy_file(dir_ / name, own / name);
  // A copy of the binary too: the build tree may sit where nobody cannot reach it.
  std::filesystem::copy_file(kCli, own / "hwlock");
  const auto out = own / "single.safetensors";
  if (root) {
    for (const auto& p : {own.path(), own / "m.hwlock", own / "k.key", own / "hwlock"})
      ASSERT_EQ(::chown(p.c_str(), 65534, 65534), 0) << p;
  }
  const std::string as_user = root ? setpriv + " --reuid=65534 --regid=65534 --clear-groups " : "";
  // The limit really refuses threads (a shell cannot even fork under it)...
  auto probe = run(as_user + prlimit + " --nproc=1:1 /bin/sh -c '/bin/true; /bin/true'");
  ASSERT_NE(probe.exit_code, 0) << "RLIMIT_NPROC did not bind: " << probe.out;
  // ...and the unlock runs the pieces on its main thread instead of aborting.
  auto r = run(as_user + prlimit + " --nproc=1:1 " + quote(own / "hwlock") + " unlock " +
               quote(own / "m.hwlock") + " -o " + quote(out) + " --key-file " +
               quote(own / "k.key") + " --threads 8");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto v = cli("verify " + quote(dir_ / "m.hwlock") + " --key-file " + quote(dir_ / "k.key") +
               " --against " + quote(out));
  EXPECT_EQ(v.exit_code, 0) << v.out;
}

}  // namespace
