// Builders of IDX(-gz) files for the tests: valid ones, and the ways they go wrong.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace hwlock::test {

inline void put_be32(std::string& s, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
}

// IDX bytes: magic 00 00 08 ndims, dims, then `data` (not checked against the dims).
inline std::string idx_bytes(const std::vector<std::uint32_t>& dims, const std::string& data,
                             std::uint8_t type = 0x08) {
  std::string s{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (auto d : dims) put_be32(s, d);
  return s + data;
}

// `n` images of rows x cols with pixel (i, r, c) = (i * 7 + r * 3 + c) mod 256.
inline std::string image_data(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  std::string s;
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t r = 0; r < rows; ++r)
      for (std::uint32_t c = 0; c < cols; ++c)
        s.push_back(static_cast<char>((i * 7 + r * 3 + c) & 0xff));
  return s;
}

inline std::string gzip(const std::string& raw) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper, as gzwrite would produce.
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    std::abort();
  std::string out(deflateBound(&z, static_cast<uLong>(raw.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Writes a small Fashion-MNIST look-alike (28 x 28, labels i mod 10) into `dir` under the real
// file names: `n_train` and `n_test` examples.
inline void write_fake_fashion_mnist(const std::filesystem::path& dir, std::uint32_t n_train,
                                     std::uint32_t n_test) {
  auto labels = [](std::uint32_t n) {
    std::string s;
    for (std::uint32_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i % 10));
    return s;
  };
  write_bytes(dir / "train-images-idx3-ubyte.gz",
              gzip(idx_bytes({n_train, 28, 28}, image_data(n_train, 28, 28))));
  write_bytes(dir / "train-labels-idx1-ubyte.gz", gzip(idx_bytes({n_train}, labels(n_train))));
  write_bytes(dir / "t10k-images-idx3-ubyte.gz",
              gzip(idx_bytes({n_test, 28, 28}, image_data(n_test, 28, 28))));
  write_bytes(dir / "t10k-labels-idx1-ubyte.gz", gzip(idx_bytes({n_test}, labels(n_test))));
}

// Sets an environment variable for a scope and restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace hwlock::test
