#include <sys/stat.h>

#include "container_fixture.hpp"

namespace {

using namespace hwlock;
using test::TempDir;

TEST(KeyFile, WriteReadRoundTripWithMode0600) {
  TempDir dir;
  auto k = crypto::SecretKey::generate();
  ASSERT_TRUE(k);
  ASSERT_TRUE(write_key_file(dir / "k", *k, false));
  struct stat st {};
  ASSERT_EQ(::stat((dir / "k").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string warning;
  auto back = read_key_file(dir / "k", &warning);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(warning.empty());
  EXPECT_TRUE(std::equal(back->bytes().begin(), back->bytes().end(), k->bytes().begin()));
  auto again = write_key_file(dir / "k", *k, false);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::output_exists);
}

TEST(KeyFile, MalformedFilesAreRejected) {
  TempDir dir;
  const std::string good_hex(64, 'a');
  const std::pair<const char*, std::string> cases[] = {
      {"empty", ""},
      {"magic", "hwlock-key-v2 " + good_hex + "\n"},
      {"short", "hwlock-key-v1 " + good_hex.substr(2) + "\n"},
      {"long", "hwlock-key-v1 " + good_hex + "aa\n"},
      {"nonhex", "hwlock-key-v1 " + std::string(63, 'a') + "g\n"},
  };
  for (const auto& [name, text] : cases) {
    test::write_file(dir / name, text);
    auto k = read_key_file(dir / name);
    ASSERT_FALSE(k) << name;
    EXPECT_EQ(k.error().code, Errc::key_file_invalid) << name;
    EXPECT_NE(k.error().message.find(name), std::string::npos);
  }
  auto missing = read_key_file(dir / "missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::key_file_invalid);
}

TEST(KeyFile, WorldReadableKeyWarns) {
  TempDir dir;
  test::write_file(dir / "k", "hwlock-key-v1 " + std::string(64, '0') + "\n");
  ::chmod((dir / "k").c_str(), 0644);
  std::string warning;
  ASSERT_TRUE(read_key_file(dir / "k", &warning));
  EXPECT_NE(warning.find("chmod 600"), std::string::npos);
}

TEST(KeyId, StableAndDistinct) {
  auto a = crypto::SecretKey::generate(), b = crypto::SecretKey::generate();
  auto ia = key_id(*a), ia2 = key_id(clone_key(*a)), ib = key_id(*b);
  ASSERT_TRUE(ia && ia2 && ib);
  EXPECT_EQ(ia->size(), 16u);
  EXPECT_EQ(*ia, *ia2);
  EXPECT_NE(*ia, *ib);
}

}  // namespace
