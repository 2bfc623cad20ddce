// Every file of tests/data/malformed must be rejected with the error code EXPECTED.json names.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "hwlock/safetensors.hpp"

namespace {

const std::filesystem::path kDir = std::filesystem::path(HWLOCK_TEST_DATA_DIR) / "malformed";

TEST(Malformed, EveryCorpusFileGetsItsOwnError) {
  std::ifstream in(kDir / "EXPECTED.json");
  ASSERT_TRUE(in) << "missing " << kDir / "EXPECTED.json";
  const auto expected = nlohmann::json::parse(in);
  ASSERT_GE(expected.size(), 30u);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kDir))
    if (entry.path().extension() == ".safetensors") ++files;
  EXPECT_EQ(files, expected.size()) << "every corpus file needs an EXPECTED.json entry";
  for (const auto& [name, code] : expected.items()) {
    SCOPED_TRACE(name);
    auto r = hwlock::st::Reader::open(kDir / name);
    ASSERT_FALSE(r.ok()) << name << " was accepted";
    EXPECT_EQ(hwlock::errc_name(r.error().code), code.get<std::string>()) << r.error().message;
    // Messages name the file.
    EXPECT_NE(r.error().message.find(name), std::string::npos) << r.error().message;
  }
}

TEST(Malformed, MissingFileIsAnOpenError) {
  auto r = hwlock::st::Reader::open(kDir / "does-not-exist.safetensors");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, hwlock::Errc::io_open);
  EXPECT_NE(r.error().message.find("does-not-exist"), std::string::npos);
}

TEST(Malformed, DirectoryIsNotAModel) {
  auto r = hwlock::st::Reader::open(kDir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, hwlock::Errc::io_open);
}

}  // namespace
