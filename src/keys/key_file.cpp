#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "hwlock/io.hpp"
#include "hwlock/keys.hpp"

namespace hwlock {
namespace {

constexpr std::string_view kMagic = "hwlock-key-v1 ";
// Magic + 64 hex digits + optional newline; anything longer is not a key file.
constexpr std::size_t kMaxKeyFileSize = 14 + 64 + 1;

}  // namespace

Result<crypto::SecretKey> read_key_file(const std::filesystem::path& path, std::string* warning) {
  const std::string where = path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(Errc::key_file_invalid,
                where + ": cannot open key file: " + io::errno_message(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(Errc::key_file_invalid, where + ": key file is not a regular file");
  }
  if (warning != nullptr && (st.st_mode & 077) != 0)
    *warning = where + ": key file is readable by group or others; chmod 600 it";
  // Secret bytes live in a wiped buffer; never in a std::string.
  crypto::SecretBuffer buf(kMaxKeyFileSize + 1);
  std::size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  const auto* text = reinterpret_cast<const char*>(buf.data());
  std::size_t len = got;
  if (len > 0 && text[len - 1] == '\n') --len;
  if (got > kMaxKeyFileSize || len != kMagic.size() + 64 ||
      std::string_view(text, kMagic.size()) != kMagic)
    return fail(Errc::key_file_invalid,
                where + ": not an hwlock key file (expected \"hwlock-key-v1 <64 hex digits>\")");
  crypto::SecretKey key;
  auto out = key.mutable_bytes();
  for (std::size_t i = 0; i < crypto::kKeySize; ++i) {
    int v = 0;
    for (int j = 0; j < 2; ++j) {
      const char c = text[kMagic.size() + 2 * i + static_cast<std::size_t>(j)];
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) return fail(Errc::key_file_invalid, where + ": key file has a non-hex digit");
      v = v * 16 + d;
    }
    out[i] = static_cast<std::byte>(v);
  }
  return crypto::SecretKey(key.bytes());
}

Status write_key_file(const std::filesystem::path& path, const crypto::SecretKey& key,
                      bool overwrite) {
  HWLOCK_ASSIGN(auto out, io::AtomicFile::create(path, overwrite, io::kPrivateMode));
  static constexpr char kHex[] = "0123456789abcdef";
  crypto::SecretBuffer text(kMagic.size() + 64 + 1);
  auto* p = reinterpret_cast<char*>(text.data());
  std::copy(kMagic.begin(), kMagic.end(), p);
  p += kMagic.size();
  for (auto b : key.bytes()) {
    *p++ = kHex[std::to_integer<unsigned>(b) >> 4];
    *p++ = kHex[std::to_integer<unsigned>(b) & 15];
  }
  *p = '\n';
  HWLOCK_TRY(out.write(text.span()));
  return out.commit();
}

}  // namespace hwlock
