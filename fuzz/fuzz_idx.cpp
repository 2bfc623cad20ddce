// libFuzzer target: arbitrary bytes as an IDX file, plain or gzip (read_images, read_labels).
// Invariants: failures are idx_invalid naming the file; at most one of the two readers accepts a
// file (the magic fixes the dimension count); an accepted file holds exactly the bytes its
// dimensions promise, re-encodes (plain and gzip) to a file that reads back identical, passes the
// SHA-256 check with its own digest and fails it (dataset_checksum) with another, and fails the
// size cap just below its size.
#include <zlib.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "hwlock/crypto.hpp"
#include "hwlock/idx.hpp"

namespace hwlock::idx {
// Not in the library: only the fuzz target compares decoded files.
bool operator==(const Images& a, const Images& b) {
  return a.count == b.count && a.rows == b.rows && a.cols == b.cols && a.pixels == b.pixels;
}
}  // namespace hwlock::idx

namespace {

using hwlock::fuzz::MemFile;
namespace idx = hwlock::idx;

// Keeps each run fast: a gzip bomb may expand ~1000x; 4 MiB of data is plenty for the format.
constexpr std::uint64_t kFuzzMaxBytes = std::uint64_t{1} << 22;

std::vector<std::uint8_t> encode_plain(const std::vector<std::uint32_t>& dims,
                                       const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> out = {0, 0, idx::kTypeU8, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(d >> s));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::vector<std::uint8_t> encode_gzip(const std::vector<std::uint8_t>& plain) {
  z_stream z{};
  HWLOCK_FUZZ_CHECK(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(plain.size())) + 32);
  z.next_in = const_cast<Bytef*>(plain.data());
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  HWLOCK_FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

template <class T>
using Reader = hwlock::Result<T> (*)(const std::filesystem::path&, const idx::ReadOptions&);

// Checks the invariants of an accepted file, whose canonical plain encoding is `plain` and whose
// decoded form is `value`; `read` is the reader that accepted it.
template <class T>
void check_accepted(const std::vector<std::uint8_t>& plain, const T& value, Reader<T> read) {
  idx::ReadOptions o;
  o.max_bytes = kFuzzMaxBytes;
  for (const auto& bytes : {plain, encode_gzip(plain)}) {
    const MemFile f(bytes);
    auto again = read(f.path(), o);
    HWLOCK_FUZZ_CHECK(again.ok());
    HWLOCK_FUZZ_CHECK(*again == value);
  }
  const MemFile f(plain);
  std::array<std::byte, hwlock::crypto::kSha256Size> digest{};
  HWLOCK_FUZZ_CHECK(hwlock::crypto::sha256(std::as_bytes(std::span(plain)), digest).ok());
  std::string hex = hwlock::crypto::to_hex(digest);
  idx::ReadOptions with_digest = o;
  with_digest.sha256_hex = hex;
  HWLOCK_FUZZ_CHECK(read(f.path(), with_digest).ok());
  hex[0] = hex[0] == '0' ? '1' : '0';
  with_digest.sha256_hex = hex;
  auto wrong = read(f.path(), with_digest);
  HWLOCK_FUZZ_CHECK(!wrong.ok() && wrong.error().code == hwlock::Errc::dataset_checksum);
  const std::size_t header = 4 + 4 * std::size_t{plain[3]};
  idx::ReadOptions tight = o;
  tight.max_bytes = plain.size() - header - 1;
  auto capped = read(f.path(), tight);
  HWLOCK_FUZZ_CHECK(!capped.ok() && capped.error().code == hwlock::Errc::idx_invalid);
}

void check_rejected(const hwlock::Error& e, const std::string& path) {
  HWLOCK_FUZZ_CHECK(e.code == hwlock::Errc::idx_invalid);
  HWLOCK_FUZZ_CHECK(e.message.find(path) != std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const MemFile file({data, size});
  idx::ReadOptions o;
  o.max_bytes = kFuzzMaxBytes;
  auto images = idx::read_images(file.path(), o);
  auto labels = idx::read_labels(file.path(), o);
  HWLOCK_FUZZ_CHECK(!(images.ok() && labels.ok()));
  if (images) {
    HWLOCK_FUZZ_CHECK(images->count >= 1 && images->rows >= 1 && images->cols >= 1);
    HWLOCK_FUZZ_CHECK(images->pixels.size() ==
                      std::uint64_t{images->count} * images->rows * images->cols);
    check_accepted<idx::Images>(
        encode_plain({images->count, images->rows, images->cols}, images->pixels), *images,
        &idx::read_images);
  } else {
    check_rejected(images.error(), file.path());
  }
  if (labels) {
    HWLOCK_FUZZ_CHECK(!labels->empty());
    check_accepted<std::vector<std::uint8_t>>(
        encode_plain({static_cast<std::uint32_t>(labels->size())}, *labels), *labels,
        &idx::read_labels);
  } else {
    check_rejected(labels.error(), file.path());
  }
  return 0;
}
