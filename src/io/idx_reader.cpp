// IDX(-gz) reader and the Fashion-MNIST loader. See include/hwlock/idx.hpp for the contract.
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>

#include "hwlock/crypto.hpp"
#include "hwlock/idx.hpp"

namespace hwlock::idx {
namespace {

constexpr std::size_t kChunk = std::size_t{1} << 20;            // gzread granularity
constexpr std::size_t kInitialReserve = std::size_t{64} << 20;  // grow past this only as data comes

// Move-only owner of a zlib gzFile.
class GzFile {
 public:
  explicit GzFile(gzFile f) noexcept : f_(f) {}
  ~GzFile() {
    if (f_ != nullptr) gzclose(f_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
  gzFile get() const noexcept { return f_; }
  // Closes now and reports what gzclose says (Z_BUF_ERROR: the stream ended mid-member).
  int close() noexcept {
    const int rc = gzclose(f_);
    f_ = nullptr;
    return rc;
  }

 private:
  gzFile f_;
};

std::string gz_message(gzFile f) {
  int errnum = Z_OK;
  const char* msg = gzerror(f, &errnum);
  if (errnum == Z_ERRNO) return std::strerror(errno);
  return msg != nullptr && *msg != '\0' ? msg : "zlib error";
}

// Reads up to `n` bytes, appending to `out`. Returns the number of bytes appended, or an error
// if zlib reports one (corrupt stream, CRC mismatch, I/O error).
Result<std::size_t> read_append(gzFile f, std::vector<std::uint8_t>& out, std::size_t n,
                                const std::string& origin) {
  std::size_t done = 0;
  while (done < n) {
    const std::size_t want = std::min(kChunk, n - done);
    const std::size_t at = out.size();
    out.resize(at + want);
    const int got = gzread(f, out.data() + at, static_cast<unsigned>(want));
    if (got < 0) {
      out.resize(at);
      return fail(Errc::idx_invalid, origin + ": corrupt gzip stream: " + gz_message(f));
    }
    out.resize(at + static_cast<std::size_t>(got));
    done += static_cast<std::size_t>(got);
    if (static_cast<std::size_t>(got) < want) break;  // end of data
  }
  return done;
}

std::uint32_t be32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

struct RawIdx {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> content;  // the whole uncompressed file: header + data
  std::size_t data_offset = 0;
};

Result<RawIdx> read_idx(const std::filesystem::path& path, std::uint8_t ndims,
                        std::string_view what, const ReadOptions& options) {
  const std::string origin = path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return fail(Errc::io_open, origin + ": cannot open: " +
                                   (ec ? ec.message() : std::string("not a regular file")));
  errno = 0;
  GzFile gz(gzopen(origin.c_str(), "rb"));
  if (gz.get() == nullptr)
    return fail(Errc::io_open, origin + ": cannot open: " +
                                   (errno != 0 ? std::strerror(errno) : "zlib out of memory"));
  gzbuffer(gz.get(), 256 * 1024);

  RawIdx raw;
  const std::size_t header_size = 4 + 4 * std::size_t{ndims};
  auto truncated_header = [&](std::size_t got) {
    return fail(Errc::idx_invalid, origin + ": truncated: " + std::to_string(got) +
                                       " bytes, shorter than the " + std::to_string(header_size) +
                                       "-byte IDX header of " + std::string(what));
  };
  // The magic first, so a file of the wrong kind says so rather than "truncated".
  HWLOCK_ASSIGN(const std::size_t got_magic, read_append(gz.get(), raw.content, 4, origin));
  if (got_magic < 4) return truncated_header(got_magic);
  const std::uint8_t* m = raw.content.data();
  if (m[0] != 0 || m[1] != 0 || m[2] != kTypeU8 || m[3] != ndims) {
    char magic[16];
    std::snprintf(magic, sizeof magic, "0x%08x", static_cast<unsigned>(be32(m)));
    char expected[16];
    std::snprintf(expected, sizeof expected, "0x%08x", (unsigned{kTypeU8} << 8) | ndims);
    return fail(Errc::idx_invalid, origin + ": not an IDX file of " + std::string(what) +
                                       " (magic " + magic + ", expected " + expected +
                                       ": unsigned bytes, " + std::to_string(ndims) +
                                       " dimension(s))");
  }
  HWLOCK_ASSIGN(const std::size_t got_dims,
                read_append(gz.get(), raw.content, header_size - 4, origin));
  if (got_dims < header_size - 4) return truncated_header(4 + got_dims);
  const std::uint8_t* h = raw.content.data();
  std::uint64_t total = 1;
  for (std::uint8_t i = 0; i < ndims; ++i) {
    const std::uint32_t d = be32(h + 4 + 4 * std::size_t{i});
    if (d == 0)
      return fail(Errc::idx_invalid, origin + ": dimension " + std::to_string(i) + " is zero");
    // total <= max_bytes <= 2^63 before the multiply and d < 2^32, so check before multiplying.
    if (total > options.max_bytes / d)
      return fail(Errc::idx_invalid, origin + ": dimensions claim more than " +
                                         std::to_string(options.max_bytes) + " bytes of data");
    total *= d;
    raw.dims.push_back(d);
  }
  if (total > std::numeric_limits<std::size_t>::max() - header_size)
    return fail(Errc::idx_invalid, origin + ": data too large");
  raw.data_offset = header_size;
  raw.content.reserve(header_size +
                      static_cast<std::size_t>(std::min<std::uint64_t>(total, kInitialReserve)));
  HWLOCK_ASSIGN(const std::size_t got_data,
                read_append(gz.get(), raw.content, static_cast<std::size_t>(total), origin));
  if (got_data < total) {
    int errnum = Z_OK;
    gzerror(gz.get(), &errnum);
    const std::string why = errnum == Z_BUF_ERROR ? " (gzip stream cut short)" : "";
    return fail(Errc::idx_invalid, origin + ": truncated" + why + ": " + std::to_string(got_data) +
                                       " of " + std::to_string(total) +
                                       " data bytes the header promises");
  }
  // One more read: it must find the end, which also makes zlib check the gzip trailer (CRC,
  // length).
  std::vector<std::uint8_t> extra;
  HWLOCK_ASSIGN(const std::size_t trailing, read_append(gz.get(), extra, 1, origin));
  if (trailing != 0)
    return fail(Errc::idx_invalid, origin + ": trailing bytes after the " + std::to_string(total) +
                                       " data bytes the header promises");
  int errnum = Z_OK;
  gzerror(gz.get(), &errnum);
  if (errnum != Z_OK || gz.close() != Z_OK)
    return fail(Errc::idx_invalid, origin + ": gzip stream cut short (missing or partial trailer)");

  if (options.sha256_hex) {
    std::array<std::byte, crypto::kSha256Size> digest{};
    HWLOCK_TRY(crypto::sha256(std::as_bytes(std::span(raw.content)), digest));
    const std::string hex = crypto::to_hex(digest);
    if (hex != *options.sha256_hex)
      return fail(Errc::dataset_checksum, origin + ": SHA-256 of the uncompressed content is " +
                                              hex + ", expected " +
                                              std::string(*options.sha256_hex) +
                                              " (file corrupt or a different dataset version)");
  }
  return raw;
}

std::filesystem::path dataset_dir() {
  const char* env = std::getenv(std::string(kFashionMnistDirEnv).c_str());
  if (env != nullptr && *env != '\0') return std::filesystem::path(env);
  return std::filesystem::path(kFashionMnistDefaultDir);
}

}  // namespace

Result<Images> read_images(const std::filesystem::path& path, const ReadOptions& options) {
  HWLOCK_ASSIGN(RawIdx raw, read_idx(path, 3, "images", options));
  Images out;
  out.count = raw.dims[0];
  out.rows = raw.dims[1];
  out.cols = raw.dims[2];
  out.pixels.assign(raw.content.begin() + static_cast<std::ptrdiff_t>(raw.data_offset),
                    raw.content.end());
  return out;
}

Result<std::vector<std::uint8_t>> read_labels(const std::filesystem::path& path,
                                              const ReadOptions& options) {
  HWLOCK_ASSIGN(RawIdx raw, read_idx(path, 1, "labels", options));
  return std::vector<std::uint8_t>(
      raw.content.begin() + static_cast<std::ptrdiff_t>(raw.data_offset), raw.content.end());
}

Result<std::filesystem::path> fashion_mnist_dir() {
  const std::filesystem::path dir = dataset_dir();
  for (const DatasetFile* f : {&kFashionMnistTrainImages, &kFashionMnistTrainLabels,
                               &kFashionMnistTestImages, &kFashionMnistTestLabels}) {
    std::error_code ec;
    const auto p = dir / f->name;
    if (!std::filesystem::is_regular_file(p, ec))
      return fail(Errc::dataset_missing,
                  "Fashion-MNIST not found: " + p.string() +
                      " does not exist; install the Debian package dataset-fashion-mnist (or set " +
                      std::string(kFashionMnistDirEnv) +
                      " to a directory holding the four IDX files)");
  }
  return dir;
}

Result<LabelledImages> load_fashion_mnist(Split split, bool verify) {
  HWLOCK_ASSIGN(const std::filesystem::path dir, fashion_mnist_dir());
  const DatasetFile& img =
      split == Split::train ? kFashionMnistTrainImages : kFashionMnistTestImages;
  const DatasetFile& lab =
      split == Split::train ? kFashionMnistTrainLabels : kFashionMnistTestLabels;
  ReadOptions ro_img, ro_lab;
  if (verify) {
    ro_img.sha256_hex = img.sha256_hex;
    ro_lab.sha256_hex = lab.sha256_hex;
  }
  LabelledImages out;
  HWLOCK_ASSIGN(out.images, read_images(dir / img.name, ro_img));
  HWLOCK_ASSIGN(out.labels, read_labels(dir / lab.name, ro_lab));
  const std::string origin = (dir / img.name).string();
  if (out.images.rows != 28 || out.images.cols != 28)
    return fail(Errc::idx_invalid, origin + ": Fashion-MNIST images are 28x28, this file has " +
                                       std::to_string(out.images.rows) + "x" +
                                       std::to_string(out.images.cols));
  if (out.labels.size() != out.images.count)
    return fail(Errc::idx_invalid, origin + ": " + std::to_string(out.images.count) +
                                       " images but " + (dir / lab.name).string() + " has " +
                                       std::to_string(out.labels.size()) + " labels");
  for (std::size_t i = 0; i < out.labels.size(); ++i)
    if (out.labels[i] >= kFashionMnistClasses)
      return fail(Errc::idx_invalid, (dir / lab.name).string() + ": label " + std::to_string(i) +
                                         " is " + std::to_string(out.labels[i]) +
                                         ", outside [0, 10)");
  return out;
}

}  // namespace hwlock::idx
