// hwlock/io.hpp — files: read-only memory maps and atomic outputs.
//
// Contracts:
// - MappedFile maps a whole file read-only. `release()` tells the kernel the pages of a range are
// no
//   longer needed (MADV_DONTNEED on a private read-only file mapping), which is how streaming
//   passes keep their resident set bounded while walking files larger than RAM.
// - AtomicFile writes an output that appears whole or not at all. The bytes go to an unnamed file
//   (O_TMPFILE) in the destination's directory, so a process killed at any point, even by
//   SIGKILL, leaves no file behind; `commit()` fsyncs it and links it into place (with `overwrite`:
//   links it under a fresh temporary name and renames that over the destination). Where the
//   filesystem lacks O_TMPFILE, a named temporary `<dir>/.<name>.tmp.<random>` is used instead, and
//   SIGINT/SIGTERM/SIGHUP handlers (installed on first use, where the signal is not ignored) unlink
//   pending temporaries before the signal takes its course; SIGKILL can leave one behind there.
//   Until the commit the destination is untouched; if the AtomicFile is destroyed without a
//   commit, the temporary is removed. Without `overwrite`, an existing destination is an error
//   (Errc::output_exists) both at creation and at commit (the check is repeated, and the final
//   link refuses to replace, as does renameat2(RENAME_NOREPLACE) in the fallback).
// - Permissions: the requested mode is given to the kernel at creation, which removes the umask
//   (the library never calls umask(), which is process-wide). An owner-only mode (no group/other
//   bits, e.g. kPrivateMode) is then set exactly with fchmod, whatever the umask: key files and
//   plaintext weights are always 0600. fchmod, fsync and close failures are io_write errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "hwlock/error.hpp"

namespace hwlock::io {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;

  // Maps `path` read-only. An empty file maps to an empty span.
  static Result<MappedFile> open(const std::filesystem::path& path);

  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  std::uint64_t size() const noexcept { return size_; }
  const std::filesystem::path& path() const noexcept { return path_; }
  // Identity of the underlying file (device, inode), to refuse writing an output over an input.
  std::uint64_t device() const noexcept { return dev_; }
  std::uint64_t inode() const noexcept { return ino_; }

  // Hints: sequential access over the whole map; drop the pages of [offset, offset + length).
  void advise_sequential() const noexcept;
  void release(std::uint64_t offset, std::uint64_t length) const noexcept;

 private:
  const std::byte* data_ = nullptr;
  std::uint64_t size_ = 0;
  std::uint64_t dev_ = 0, ino_ = 0;
  std::filesystem::path path_;
};

// Page-aligned anonymous memory for large buffers: transparent huge pages where the kernel allows
// them, pre-faulted (MADV_POPULATE_WRITE) so the first writes do not take a fault per 4 KiB page.
// Excluded from core dumps (MADV_DONTDUMP): it holds plaintext weights. Wiped
// (OPENSSL_cleanse-equivalent) before it is returned to the system. Move-only.
class PageBuffer {
 public:
  PageBuffer() = default;
  ~PageBuffer();
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  PageBuffer(PageBuffer&& other) noexcept;
  PageBuffer& operator=(PageBuffer&& other) noexcept;

  // Errors: internal (out of memory). A zero size gives an empty buffer.
  static Result<PageBuffer> allocate(std::size_t size);

  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;
};

// Owner read/write only: key files and unlocked (plaintext) weights.
inline constexpr unsigned kPrivateMode = 0600;

class AtomicFile {
 public:
  AtomicFile() = default;
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;

  // Creates the temporary file (unnamed where possible) with permissions `mode`: minus the umask,
  // or exactly for an owner-only mode (see the contract above). Errors: output_exists, io_write.
  static Result<AtomicFile> create(const std::filesystem::path& destination, bool overwrite,
                                   unsigned mode = 0644);

  Status write(std::span<const std::byte> data);
  Status write(std::string_view text) {
    return write(std::as_bytes(std::span<const char>(text.data(), text.size())));
  }
  // Fsyncs the temporary file and links or renames it onto the destination.
  Status commit();

  const std::filesystem::path& destination() const noexcept { return dest_; }

 private:
  void discard() noexcept;
  int fd_ = -1;
  bool overwrite_ = false;
  std::filesystem::path dest_;
  std::filesystem::path tmp_;  // named fallback only; empty for an unnamed (O_TMPFILE) file
  int slot_ = -1;              // signal-cleanup table entry of tmp_, or -1
};

// Faults in the pages covering [p, p + n) of any mapping with one call (MADV_POPULATE_READ).
// Best effort: a no-op where the kernel lacks it.
void populate_read(const void* p, std::size_t n) noexcept;

// True if `a` and `b` name the same existing file (same device and inode).
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

// "strerror(errno)" for messages.
std::string errno_message(int err);

}  // namespace hwlock::io
