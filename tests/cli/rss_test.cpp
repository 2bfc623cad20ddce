// Locking streams: the resident set grows by at most 64 MiB whatever the model size.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwlock/synthetic.hpp"
#include "test_util.hpp"

namespace {

// Peak RSS in KiB of `argv` run as a child process.
long child_peak_rss_kib(const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::freopen("/dev/null", "w", stdout);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  struct rusage ru {};
  ::wait4(pid, &status, 0, &ru);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return ru.ru_maxrss;
}

TEST(Streaming, LockAndUnlockRssIsBoundedIndependentOfModelSize) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan's shadow memory and quarantine distort RSS";
#endif
  hwlock::test::TempDir dir;
  const auto model = dir / "big.safetensors";
  ASSERT_TRUE(hwlock::write_synthetic_model(model, {768ull << 20, 4, 1024}, false));
  const std::string cli = HWLOCK_CLI_PATH;
  ASSERT_EQ(hwlock::test::run(cli + " keygen -o " + hwlock::test::quote(dir / "k")).exit_code, 0);
  const long baseline = child_peak_rss_kib({cli, "inspect", model.string()});
  const long lock =
      child_peak_rss_kib({cli, "lock", model.string(), "-o", (dir / "big.hwlock").string(),
                          "--key-file", (dir / "k").string()});
  const long unlock =
      child_peak_rss_kib({cli, "unlock", (dir / "big.hwlock").string(), "-o",
                          (dir / "back").string(), "--key-file", (dir / "k").string()});
  ASSERT_GT(baseline, 0);
  ASSERT_GT(lock, 0);
  ASSERT_GT(unlock, 0);
  RecordProperty("baseline_kib", std::to_string(baseline));
  RecordProperty("lock_kib", std::to_string(lock));
  EXPECT_LE(lock - baseline, 64 * 1024) << "lock peak " << lock << " KiB vs inspect " << baseline;
  EXPECT_LE(unlock - baseline, 64 * 1024)
      << "unlock peak " << unlock << " KiB vs inspect " << baseline;
}

}  // namespace
