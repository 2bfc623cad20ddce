// Helpers shared by the fuzz targets: invariant checks that abort with a message (so libFuzzer and
// the replay driver report them as crashes), and an in-memory file with a path for the readers
// that only take paths (key files, IDX, PUF response files).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

namespace hwlock::fuzz {

[[noreturn]] inline void fail_invariant(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", file, line, what);
  std::abort();
}

}  // namespace hwlock::fuzz

// Checked in every build type (assert() vanishes under NDEBUG).
#define HWLOCK_FUZZ_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::hwlock::fuzz::fail_invariant(#cond, __FILE__, __LINE__))

namespace hwlock::fuzz {

// An anonymous in-memory file (memfd) reachable through /proc/self/fd/N: every open() of path()
// starts at offset 0, as a regular file. Move-only in spirit; targets keep one per input.
class MemFile {
 public:
  MemFile() : fd_(::memfd_create("hwlock-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) fail_invariant("memfd_create failed", __FILE__, __LINE__);
  }
  explicit MemFile(std::span<const std::uint8_t> content) : MemFile() { write(content); }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  // Replaces the content.
  void write(std::span<const std::uint8_t> content) {
    if (::ftruncate(fd_, 0) != 0) fail_invariant("ftruncate failed", __FILE__, __LINE__);
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n =
          ::pwrite(fd_, content.data() + done, content.size() - done, static_cast<off_t>(done));
      if (n <= 0) fail_invariant("pwrite failed", __FILE__, __LINE__);
      done += static_cast<std::size_t>(n);
    }
  }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

}  // namespace hwlock::fuzz
