#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwlock/io.hpp"
#include "io/atomic_file_internal.hpp"
#include "test_util.hpp"

namespace {

using namespace hwlock;
using hwlock::test::TempDir;

std::size_t count_entries(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFile, CommitCreatesDestination) {
  TempDir dir;
  auto f = io::AtomicFile::create(dir / "out", false);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write(std::string_view("hello")));
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));  // not visible before commit
  ASSERT_TRUE(f->commit());
  auto bytes = test::read_file(dir / "out");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "hello");
  EXPECT_EQ(count_entries(dir.path()), 1u);  // no temporary left behind
}

TEST(AtomicFile, AbandonedWriteLeavesNothing) {
  TempDir dir;
  {
    auto f = io::AtomicFile::create(dir / "out", false);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write(std::string_view("partial")));
  }
  EXPECT_EQ(count_entries(dir.path()), 0u);
}

TEST(AtomicFile, RefusesToOverwriteWithoutPermission) {
  TempDir dir;
  test::write_file(dir / "out", "original");
  auto f = io::AtomicFile::create(dir / "out", false);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::output_exists);
  EXPECT_NE(f.error().message.find("--force"), std::string::npos);
  auto bytes = test::read_file(dir / "out");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "original");
}

TEST(AtomicFile, DestinationAppearingDuringWriteIsNotClobbered) {
  TempDir dir;
  auto f = io::AtomicFile::create(dir / "out", false);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write(std::string_view("new")));
  test::write_file(dir / "out", "someone else's");
  auto s = f->commit();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::output_exists);
  auto bytes = test::read_file(dir / "out");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "someone else's");
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(AtomicFile, OverwriteReplaces) {
  TempDir dir;
  test::write_file(dir / "out", "old");
  auto f = io::AtomicFile::create(dir / "out", true);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write(std::string_view("new")));
  ASSERT_TRUE(f->commit());
  auto bytes = test::read_file(dir / "out");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "new");
}

TEST(AtomicFile, ModeIsApplied) {
  TempDir dir;
  auto f = io::AtomicFile::create(dir / "key", false, 0600);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->commit());
  struct stat st {};
  ASSERT_EQ(::stat((dir / "key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AtomicFile, MissingDirectoryIsAWriteError) {
  TempDir dir;
  auto f = io::AtomicFile::create(dir / "no" / "such" / "out", false);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::io_write);
}

mode_t file_mode(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

std::string contents(const std::filesystem::path& p) {
  auto bytes = test::read_file(p);
  return {bytes.begin(), bytes.end()};
}

bool tmpfile_supported(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// Sets the process umask for one test and restores it (tests are single-threaded).
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t m) : old_(::umask(m)) {}
  ~ScopedUmask() { ::umask(old_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t old_;
};

// Each contract once with the unnamed file (O_TMPFILE) and once with the named fallback.
class AtomicFileModes : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!GetParam() && !tmpfile_supported(dir_.path()))
      GTEST_SKIP() << "no O_TMPFILE on " << dir_.path();
    io::detail::set_named_temporaries_for_testing(GetParam());
  }
  void TearDown() override { io::detail::set_named_temporaries_for_testing(false); }
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Temporaries, AtomicFileModes, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "named" : "unnamed"; });

TEST_P(AtomicFileModes, CommitAbandonAndAppearingDestination) {
  {
    auto f = io::AtomicFile::create(dir_ / "out", false);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write(std::string_view("hello")));
    // The unnamed file has no directory entry at all before the commit.
    EXPECT_EQ(count_entries(dir_.path()), GetParam() ? 1u : 0u);
    ASSERT_TRUE(f->commit());
    EXPECT_EQ(contents(dir_ / "out"), "hello");
    EXPECT_EQ(count_entries(dir_.path()), 1u);
  }
  {
    auto f = io::AtomicFile::create(dir_ / "gone", false);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write(std::string_view("partial")));
  }
  EXPECT_EQ(count_entries(dir_.path()), 1u);
  auto f = io::AtomicFile::create(dir_ / "raced", false);
  ASSERT_TRUE(f);
  test::write_file(dir_ / "raced", "someone else's");
  auto s = f->commit();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::output_exists);
  EXPECT_EQ(contents(dir_ / "raced"), "someone else's");
  EXPECT_EQ(count_entries(dir_.path()), 2u);
}

TEST_P(AtomicFileModes, OverwriteLeavesTheTargetUntilCommit) {
  test::write_file(dir_ / "out", "old");
  auto f = io::AtomicFile::create(dir_ / "out", true);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write(std::string_view("new")));
  EXPECT_EQ(contents(dir_ / "out"), "old");
  ASSERT_TRUE(f->commit());
  EXPECT_EQ(contents(dir_ / "out"), "new");
  EXPECT_EQ(count_entries(dir_.path()), 1u);
}

TEST_P(AtomicFileModes, PrivateModeIsExactWhateverTheUmask) {
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{0277}}) {
    const ScopedUmask scoped(mask);
    const auto name = "key" + std::to_string(mask);
    auto f = io::AtomicFile::create(dir_ / name, false, io::kPrivateMode);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->commit());
    EXPECT_EQ(file_mode(dir_ / name), 0600u) << "umask " << std::oct << mask;
  }
}

TEST_P(AtomicFileModes, SharedModeHonoursTheUmask) {
  const std::pair<mode_t, mode_t> cases[] = {{0, 0644}, {022, 0644}, {027, 0640}, {077, 0600}};
  for (const auto& [mask, want] : cases) {
    const ScopedUmask scoped(mask);
    const auto name = "report" + std::to_string(mask);
    auto f = io::AtomicFile::create(dir_ / name, false);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->commit());
    EXPECT_EQ(file_mode(dir_ / name), want) << "umask " << std::oct << mask;
  }
}

// A child writes through an AtomicFile (replacing "out"), says so on a pipe and waits to be killed
// by `sig`. Returns the child's wait status.
int write_then_die(const std::filesystem::path& dir, bool named, int sig) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    io::detail::set_named_temporaries_for_testing(named);
    auto f = io::AtomicFile::create(dir / "out", true);
    if (!f) ::_exit(3);
    const std::string chunk(1u << 20, 'x');
    if (!f->write(chunk)) ::_exit(4);
    const char ready = 1;
    if (::write(pipe_fds[1], &ready, 1) != 1) ::_exit(5);
    for (;;) ::pause();
  }
  ::close(pipe_fds[1]);
  char ready = 0;
  const bool ok = ::read(pipe_fds[0], &ready, 1) == 1;
  ::close(pipe_fds[0]);
  ::kill(pid, ok ? sig : SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return ok ? status : -1;
}

TEST_P(AtomicFileModes, InterruptedWriterLeavesOnlyTheUntouchedTarget) {
  test::write_file(dir_ / "out", "precious");
  // SIGTERM: the named fallback's handler unlinks its temporary and the signal still terminates.
  const int term = write_then_die(dir_.path(), GetParam(), SIGTERM);
  ASSERT_TRUE(WIFSIGNALED(term)) << term;
  EXPECT_EQ(WTERMSIG(term), SIGTERM);
  EXPECT_EQ(count_entries(dir_.path()), 1u);
  EXPECT_EQ(contents(dir_ / "out"), "precious");
}

TEST(AtomicFile, KilledWriterLeavesNothing) {
  TempDir dir;
  if (!tmpfile_supported(dir.path())) GTEST_SKIP() << "no O_TMPFILE on " << dir.path();
  test::write_file(dir / "out", "precious");
  // SIGKILL cannot be handled: only the unnamed file guarantees that nothing is left.
  const int status = write_then_die(dir.path(), false, SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(count_entries(dir.path()), 1u);
  EXPECT_EQ(contents(dir / "out"), "precious");
}

TEST(AtomicFile, IgnoredSignalStaysIgnored) {
  TempDir dir;
  struct sigaction ign {
  }, old{};
  ign.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGHUP, &ign, &old), 0);
  io::detail::set_named_temporaries_for_testing(true);
  {
    auto f = io::AtomicFile::create(dir / "out", false);
    ASSERT_TRUE(f);
    struct sigaction now {};
    ASSERT_EQ(::sigaction(SIGHUP, nullptr, &now), 0);
    EXPECT_EQ(now.sa_handler, SIG_IGN);
  }
  io::detail::set_named_temporaries_for_testing(false);
  ::sigaction(SIGHUP, &old, nullptr);
  EXPECT_EQ(count_entries(dir.path()), 0u);
}

TEST(MappedFile, EmptyFileMapsToEmptySpan) {
  TempDir dir;
  test::write_file(dir / "empty", "");
  auto m = io::MappedFile::open(dir / "empty");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->size(), 0u);
  EXPECT_TRUE(m->bytes().empty());
}

}  // namespace
