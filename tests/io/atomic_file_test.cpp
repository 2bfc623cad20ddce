#include <gtest/gtest.h>
#include <sys/stat.h>

#include "hwlock/io.hpp"
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

TEST(MappedFile, EmptyFileMapsToEmptySpan) {
  TempDir dir;
  test::write_file(dir / "empty", "");
  auto m = io::MappedFile::open(dir / "empty");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->size(), 0u);
  EXPECT_TRUE(m->bytes().empty());
}

}  // namespace
