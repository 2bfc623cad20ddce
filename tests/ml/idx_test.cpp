// IDX(-gz) reader and Fashion-MNIST loader: known answers from the installed dataset, and every way
// a hostile file can be malformed. No libtorch.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <numeric>

#include "hwlock/idx.hpp"
#include "ml/idx_fixtures.hpp"
#include "test_util.hpp"

namespace {

using hwlock::Errc;
using hwlock::errc_name;
namespace idx = hwlock::idx;
namespace t = hwlock::test;

#define SKIP_WITHOUT_DATASET()                                   \
  do {                                                           \
    auto d = idx::fashion_mnist_dir();                           \
    HWLOCK_REQUIRE_DEPENDENCY(d.ok(), d.error().message); \
  } while (0)

// ---- Known answers (values from Python's gzip module over the Debian package's files).

TEST(IdxKnownAnswer, TrainSplit) {
  SKIP_WITHOUT_DATASET();
  auto r = idx::load_fashion_mnist(idx::Split::train);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& im = r->images;
  EXPECT_EQ(im.count, 60000u);
  EXPECT_EQ(im.rows, 28u);
  EXPECT_EQ(im.cols, 28u);
  ASSERT_EQ(im.pixels.size(), 60000u * 784);
  EXPECT_EQ(std::accumulate(im.pixels.begin(), im.pixels.begin() + 784, 0u), 76247u);
  EXPECT_EQ(std::count(im.pixels.begin(), im.pixels.begin() + 784, 0), 351);
  EXPECT_EQ(im.pixels[14 * 28 + 14], 217);
  EXPECT_EQ(std::accumulate(im.pixels.end() - 784, im.pixels.end(), 0u), 16684u);
  EXPECT_EQ(std::accumulate(im.pixels.begin(), im.pixels.end(), std::uint64_t{0}), 3431114169u);
  const std::vector<std::uint8_t> first{9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
  EXPECT_EQ(std::vector<std::uint8_t>(r->labels.begin(), r->labels.begin() + 10), first);
  for (int c = 0; c < 10; ++c) EXPECT_EQ(std::count(r->labels.begin(), r->labels.end(), c), 6000);
}

TEST(IdxKnownAnswer, TestSplit) {
  SKIP_WITHOUT_DATASET();
  auto r = idx::load_fashion_mnist(idx::Split::test);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->images.count, 10000u);
  EXPECT_EQ(std::accumulate(r->images.pixels.begin(), r->images.pixels.begin() + 784, 0u), 33456u);
  EXPECT_EQ(std::accumulate(r->images.pixels.begin(), r->images.pixels.end(), std::uint64_t{0}),
            573469082u);
  const std::vector<std::uint8_t> first{9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
  EXPECT_EQ(std::vector<std::uint8_t>(r->labels.begin(), r->labels.begin() + 10), first);
  EXPECT_EQ(r->labels.back(), 5);
}

TEST(IdxKnownAnswer, PinnedDigestsMatchEachFile) {
  SKIP_WITHOUT_DATASET();
  const auto dir = *idx::fashion_mnist_dir();
  for (const auto* f : {&idx::kFashionMnistTrainLabels, &idx::kFashionMnistTestLabels}) {
    idx::ReadOptions ro;
    ro.sha256_hex = f->sha256_hex;
    auto r = idx::read_labels(dir / f->name, ro);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->size(), f->count);
  }
  // A wrong digest is a checksum error naming the file.
  idx::ReadOptions ro;
  ro.sha256_hex = idx::kFashionMnistTrainLabels.sha256_hex;
  auto r = idx::read_labels(dir / idx::kFashionMnistTestLabels.name, ro);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::dataset_checksum);
  EXPECT_NE(r.error().message.find("t10k-labels"), std::string::npos) << r.error().message;
}

// ---- Small valid files.

TEST(Idx, ReadsGzipAndPlainFiles) {
  t::TempDir dir;
  const std::string raw = t::idx_bytes({3, 2, 5}, t::image_data(3, 2, 5));
  t::write_bytes(dir / "a.gz", t::gzip(raw));
  t::write_bytes(dir / "a.idx", raw);
  for (const char* name : {"a.gz", "a.idx"}) {
    auto r = idx::read_images(dir / name);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->count, 3u);
    EXPECT_EQ(r->rows, 2u);
    EXPECT_EQ(r->cols, 5u);
    EXPECT_EQ(std::string(r->pixels.begin(), r->pixels.end()), t::image_data(3, 2, 5));
  }
}

// ---- Malformed input: each must fail with idx_invalid (or io_open) and name the file.

struct Bad {
  const char* name;
  std::string bytes;  // file content as written
  bool images;        // read as images (else labels)
  Errc code;
  const char* says;  // substring of the message
};

std::vector<Bad> bad_files() {
  const std::string good = t::gzip(t::idx_bytes({4, 28, 28}, t::image_data(4, 28, 28)));
  std::string bad_crc = good;
  bad_crc[bad_crc.size() - 8] = static_cast<char>(bad_crc[bad_crc.size() - 8] ^ 1);
  std::string huge;
  return {
      {"empty.gz", "", true, Errc::idx_invalid, "truncated"},
      {"short_header.gz", t::gzip(std::string("\0\0\x08", 3)), true, Errc::idx_invalid,
       "truncated"},
      {"truncated_stream.gz", good.substr(0, good.size() / 2), true, Errc::idx_invalid,
       "truncated"},
      {"no_trailer.gz", good.substr(0, good.size() - 4), true, Errc::idx_invalid, "gzip"},
      {"bad_crc.gz", bad_crc, true, Errc::idx_invalid, "gzip"},
      {"bad_magic.gz", t::gzip("\x01\x02\x08\x03" + std::string(12, '\0')), true, Errc::idx_invalid,
       "magic"},
      {"wrong_type.gz", t::gzip(t::idx_bytes({1, 1, 1}, "x", 0x0d)), true, Errc::idx_invalid,
       "magic"},
      {"labels_as_images.gz", t::gzip(t::idx_bytes({4}, "abcd")), true, Errc::idx_invalid, "magic"},
      {"images_as_labels.gz", good, false, Errc::idx_invalid, "magic"},
      {"zero_dim.gz", t::gzip(t::idx_bytes({0, 28, 28}, "")), true, Errc::idx_invalid, "zero"},
      {"huge_dims.gz", t::gzip(t::idx_bytes({0xffffffffu, 0xffffffffu, 0xffffffffu}, "")), true,
       Errc::idx_invalid, "claim more"},
      {"too_few.gz", t::gzip(t::idx_bytes({5, 28, 28}, t::image_data(4, 28, 28))), true,
       Errc::idx_invalid, "truncated"},
      {"too_many.gz", t::gzip(t::idx_bytes({3, 28, 28}, t::image_data(4, 28, 28))), true,
       Errc::idx_invalid, "trailing"},
      {"labels_too_many.gz", t::gzip(t::idx_bytes({3}, "abcd")), false, Errc::idx_invalid,
       "trailing"},
      {"garbage_plain", "this is not an IDX file at all", true, Errc::idx_invalid, "magic"},
  };
}

TEST(IdxMalformed, EachFileHasItsError) {
  t::TempDir dir;
  for (const auto& b : bad_files()) {
    SCOPED_TRACE(b.name);
    t::write_bytes(dir / b.name, b.bytes);
    hwlock::Error e;
    if (b.images) {
      auto r = idx::read_images(dir / b.name);
      ASSERT_FALSE(r.ok());
      e = r.error();
    } else {
      auto r = idx::read_labels(dir / b.name);
      ASSERT_FALSE(r.ok());
      e = r.error();
    }
    EXPECT_EQ(errc_name(e.code), std::string(errc_name(b.code))) << e.message;
    EXPECT_NE(e.message.find(b.name), std::string::npos) << e.message;
    EXPECT_NE(e.message.find(b.says), std::string::npos) << e.message;
  }
}

TEST(IdxMalformed, CapOnClaimedSize) {
  t::TempDir dir;
  t::write_bytes(dir / "big.gz", t::gzip(t::idx_bytes({100, 28, 28}, t::image_data(100, 28, 28))));
  idx::ReadOptions ro;
  ro.max_bytes = 1000;
  auto r = idx::read_images(dir / "big.gz", ro);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::idx_invalid);
}

TEST(IdxMalformed, MissingFileAndDirectoryAreOpenErrors) {
  t::TempDir dir;
  auto r = idx::read_images(dir / "nope.gz");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io_open);
  EXPECT_NE(r.error().message.find("nope.gz"), std::string::npos);
  auto d = idx::read_labels(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, Errc::io_open);
}

// Random corruption of a valid file never crashes and never yields an unexpected error class.
RC_GTEST_PROP(IdxProperty, CorruptedFilesFailCleanly, ()) {
  static const std::string good = t::gzip(t::idx_bytes({2, 3, 4}, t::image_data(2, 3, 4)));
  static const std::string plain = t::idx_bytes({2, 3, 4}, t::image_data(2, 3, 4));
  const bool gz = *rc::gen::arbitrary<bool>();
  std::string bytes = gz ? good : plain;
  const auto flips =
      *rc::gen::container<std::vector<std::pair<std::size_t, std::uint8_t>>>(rc::gen::pair(
          rc::gen::inRange<std::size_t>(0, bytes.size()), rc::gen::arbitrary<std::uint8_t>()));
  for (const auto& [at, x] : flips) bytes[at] = static_cast<char>(bytes[at] ^ x);
  bytes.resize(*rc::gen::inRange<std::size_t>(0, bytes.size() + 1));
  t::TempDir dir;
  t::write_bytes(dir / "f.gz", bytes);
  auto r = idx::read_images(dir / "f.gz");
  if (!r.ok()) {
    RC_ASSERT(r.error().code == Errc::idx_invalid);
  } else {
    RC_ASSERT(r->pixels.size() == std::size_t{r->count} * r->rows * r->cols);
  }
}

// ---- The dataset directory and Fashion-MNIST shape checks.

TEST(FashionMnistDir, MissingDatasetSaysWhatToInstall) {
  t::TempDir dir;
  t::ScopedEnv env("HWLOCK_FASHION_MNIST_DIR", (dir / "absent").string());
  auto r = idx::fashion_mnist_dir();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::dataset_missing);
  EXPECT_NE(r.error().message.find("install the Debian package dataset-fashion-mnist"),
            std::string::npos)
      << r.error().message;
  auto l = idx::load_fashion_mnist(idx::Split::test);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, Errc::dataset_missing);
}

TEST(FashionMnistDir, OverrideIsUsedAndChecksumsAreEnforced) {
  t::TempDir dir;
  t::write_fake_fashion_mnist(dir.path(), 20, 10);
  t::ScopedEnv env("HWLOCK_FASHION_MNIST_DIR", dir.path().string());
  auto d = idx::fashion_mnist_dir();
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(*d, dir.path());
  // The fixtures are not the real dataset: the pinned digests reject them...
  auto v = idx::load_fashion_mnist(idx::Split::train);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::dataset_checksum);
  EXPECT_NE(v.error().message.find("train-images"), std::string::npos) << v.error().message;
  // ...and without verification they load.
  auto r = idx::load_fashion_mnist(idx::Split::test, /*verify=*/false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->images.count, 10u);
  EXPECT_EQ(r->labels[3], 3);
}

TEST(FashionMnistDir, ShapeChecks) {
  t::TempDir dir;
  t::ScopedEnv env("HWLOCK_FASHION_MNIST_DIR", dir.path().string());
  t::write_fake_fashion_mnist(dir.path(), 20, 10);
  t::write_bytes(dir / "t10k-labels-idx1-ubyte.gz",
                 t::gzip(t::idx_bytes({9}, std::string(9, '\1'))));
  auto count = idx::load_fashion_mnist(idx::Split::test, false);
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.error().code, Errc::idx_invalid);
  EXPECT_NE(count.error().message.find("labels"), std::string::npos) << count.error().message;

  t::write_bytes(dir / "t10k-labels-idx1-ubyte.gz",
                 t::gzip(t::idx_bytes({10}, std::string(10, '\x0a'))));
  auto label = idx::load_fashion_mnist(idx::Split::test, false);
  ASSERT_FALSE(label.ok());
  EXPECT_NE(label.error().message.find("outside [0, 10)"), std::string::npos)
      << label.error().message;

  t::write_bytes(dir / "t10k-images-idx3-ubyte.gz",
                 t::gzip(t::idx_bytes({10, 27, 28}, t::image_data(10, 27, 28))));
  auto shape = idx::load_fashion_mnist(idx::Split::test, false);
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.error().message.find("28x28"), std::string::npos) << shape.error().message;
}

}  // namespace
