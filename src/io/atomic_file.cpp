#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "hwlock/io.hpp"

namespace hwlock::io {
namespace {

bool path_exists(const std::filesystem::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

// rename without replacing an existing destination. Falls back to link()+unlink() where the
// filesystem lacks RENAME_NOREPLACE (link also refuses to replace).
int rename_noreplace(const char* from, const char* to) {
#ifdef SYS_renameat2
  if (::syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
#endif
  if (::link(from, to) != 0) return -1;
  ::unlink(from);
  return 0;
}

}  // namespace

AtomicFile::~AtomicFile() {
  discard();
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      overwrite_(other.overwrite_),
      dest_(std::move(other.dest_)),
      tmp_(std::move(other.tmp_)) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    discard();
    fd_ = std::exchange(other.fd_, -1);
    overwrite_ = other.overwrite_;
    dest_ = std::move(other.dest_);
    tmp_ = std::move(other.tmp_);
  }
  return *this;
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(tmp_.c_str());
  }
}

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& destination, bool overwrite,
                                      unsigned mode) {
  if (!overwrite && path_exists(destination))
    return fail(Errc::output_exists,
                destination.string() + ": output exists; refusing to overwrite (use --force)");
  std::filesystem::path dir = destination.parent_path();
  if (dir.empty()) dir = ".";
  std::string pattern = (dir / ("." + destination.filename().string() + ".tmp.XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  const int fd = ::mkostemp(buf.data(), O_CLOEXEC);
  if (fd < 0)
    return fail(Errc::io_write, destination.string() + ": cannot create a temporary file in " +
                                    dir.string() + ": " + errno_message(errno));
  // mkostemp creates 0600; apply the requested mode (minus umask) for the final file.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, static_cast<mode_t>(mode) & ~mask);
  AtomicFile f;
  f.fd_ = fd;
  f.overwrite_ = overwrite;
  f.dest_ = destination;
  f.tmp_ = std::filesystem::path(buf.data());
  return f;
}

Status AtomicFile::write(std::span<const std::byte> data) {
  if (fd_ < 0) return fail(Errc::internal, dest_.string() + ": write after commit");
  const std::byte* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Errc::io_write, dest_.string() + ": write failed: " + errno_message(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return {};
}

Status AtomicFile::commit() {
  if (fd_ < 0) return fail(Errc::internal, dest_.string() + ": commit twice");
  if (::fsync(fd_) != 0)
    return fail(Errc::io_write, dest_.string() + ": fsync failed: " + errno_message(errno));
  if (::close(fd_) != 0) {
    fd_ = -1;
    ::unlink(tmp_.c_str());
    return fail(Errc::io_write, dest_.string() + ": close failed: " + errno_message(errno));
  }
  fd_ = -1;
  const int rc = overwrite_ ? ::rename(tmp_.c_str(), dest_.c_str())
                            : rename_noreplace(tmp_.c_str(), dest_.c_str());
  if (rc != 0) {
    const int err = errno;
    ::unlink(tmp_.c_str());
    if (err == EEXIST)
      return fail(
          Errc::output_exists,
          dest_.string() + ": output appeared while writing; not overwritten (use --force)");
    return fail(Errc::io_write,
                dest_.string() + ": cannot rename into place: " + errno_message(err));
  }
  return {};
}

}  // namespace hwlock::io
