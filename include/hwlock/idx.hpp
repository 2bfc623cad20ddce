// hwlock/idx.hpp — IDX files (the MNIST family's format), gzip-compressed, read as hostile input.
//
// IDX layout (http://yann.lecun.com/exdb/mnist/), all integers big-endian:
//
//   [ 0x00 0x00 ][ type: u8 ][ ndims: u8 ][ ndims x u32 dimension sizes ][ data, row-major ]
//
// Only type 0x08 (unsigned byte) is used by the datasets we read. Images are 3-D (count, rows,
// cols), labels 1-D (count). The reader decompresses with zlib (a plain, uncompressed IDX file is
// read transparently too) and enforces:
//   - the magic (two zero bytes, type 0x08, the expected number of dimensions);
//   - every dimension >= 1 and the total size (checked 64-bit arithmetic) <= `max_bytes`;
//   - the data is exactly as long as the dimensions say: a short file, a truncated or corrupt gzip
//     stream (CRC included) and trailing bytes are all errors;
//   - optionally, the SHA-256 of the whole uncompressed content (header + data).
// Memory grows with the bytes actually decompressed, never with a size the file merely claims.
// Errors are Errc::idx_invalid (Errc::io_open if the file cannot be opened, Errc::dataset_checksum
// on a digest mismatch) and their messages name the file.
//
// This header needs no libtorch; src/ml/ turns these arrays into tensors.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "hwlock/error.hpp"

namespace hwlock::idx {

inline constexpr std::uint8_t kTypeU8 = 0x08;
// Default cap on the uncompressed data size (the Fashion-MNIST training images are 47 MB).
inline constexpr std::uint64_t kDefaultMaxBytes = std::uint64_t{1} << 30;

struct ReadOptions {
  // SHA-256 of the uncompressed file content, as 64 lowercase hex digits; checked when set.
  std::optional<std::string_view> sha256_hex;
  std::uint64_t max_bytes = kDefaultMaxBytes;
};

// A stack of 8-bit grayscale images, row-major: pixel (i, r, c) is pixels[(i*rows + r)*cols + c].
struct Images {
  std::uint32_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;
};

Result<Images> read_images(const std::filesystem::path& path, const ReadOptions& options = {});
Result<std::vector<std::uint8_t>> read_labels(const std::filesystem::path& path,
                                              const ReadOptions& options = {});

// ---- Fashion-MNIST (Xiao, Rasul, Vollgraf 2017), as the Debian package dataset-fashion-mnist
// ships it.

inline constexpr std::string_view kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";
inline constexpr std::string_view kFashionMnistDirEnv = "HWLOCK_FASHION_MNIST_DIR";
inline constexpr std::uint32_t kFashionMnistClasses = 10;

struct DatasetFile {
  std::string_view name;        // file name inside the dataset directory
  std::string_view sha256_hex;  // of the uncompressed content (zcat FILE | sha256sum)
  std::uint32_t count;          // number of images or labels
};

// The pinned files: one source of truth for names, digests and counts.
inline constexpr DatasetFile kFashionMnistTrainImages{
    "train-images-idx3-ubyte.gz",
    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 60000};
inline constexpr DatasetFile kFashionMnistTrainLabels{
    "train-labels-idx1-ubyte.gz",
    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60000};
inline constexpr DatasetFile kFashionMnistTestImages{
    "t10k-images-idx3-ubyte.gz", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    10000};
inline constexpr DatasetFile kFashionMnistTestLabels{
    "t10k-labels-idx1-ubyte.gz", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    10000};

enum class Split : std::uint8_t { train, test };

struct LabelledImages {
  Images images;                     // count x 28 x 28
  std::vector<std::uint8_t> labels;  // count values in [0, 10)
};

// The directory holding the four files: $HWLOCK_FASHION_MNIST_DIR if set, else the Debian location.
// Fails with Errc::dataset_missing ("install the Debian package dataset-fashion-mnist") when a file
// is missing there.
Result<std::filesystem::path> fashion_mnist_dir();

// Loads one split. With `verify` (the default) each file's SHA-256 must match the pinned digest
// (Errc::dataset_checksum otherwise); without it, only the format and the Fashion-MNIST shape
// (28 x 28, equal counts, labels < 10) are checked, which is what tests with small fixtures use.
Result<LabelledImages> load_fashion_mnist(Split split, bool verify = true);

}  // namespace hwlock::idx
