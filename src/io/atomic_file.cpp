// AtomicFile: outputs that appear whole or not at all (contract in include/hwlock/io.hpp).
//
// Why an unnamed file: SIGKILL (or a crash) cannot be handled, so the only temporary that is never
// left behind is one without a name. The named fallback keeps its paths in a fixed table so that
// the handlers of the catchable termination signals can unlink them with async-signal-safe calls
// only (no allocation, no locks).
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

#include "hwlock/io.hpp"
#include "io/atomic_file_internal.hpp"

namespace hwlock::io {
namespace {

std::atomic<bool> g_named_only{false};

bool path_exists(const std::filesystem::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

// ---- Signal-time cleanup of named temporaries -------------------------------------------------

constexpr std::size_t kSlots = 64;
constexpr std::size_t kSlotPath = 4096;
enum SlotState : int { kFree = 0, kFilling = 1, kArmed = 2 };
struct Slot {
  std::atomic<int> state{kFree};
  char path[kSlotPath];
};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler reads slot states");
Slot g_slots[kSlots];

constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[kSignals.size()];
std::once_flag g_install_once;

void cleanup_handler(int sig) {
  const int saved_errno = errno;
  for (auto& s : g_slots)
    if (s.state.load(std::memory_order_acquire) == kArmed) ::unlink(s.path);
  // Restore what was there before us (the default: terminate) and let the signal take its course
  // once this handler returns.
  for (std::size_t i = 0; i < kSignals.size(); ++i)
    if (kSignals[i] == sig) ::sigaction(sig, &g_previous[i], nullptr);
  ::raise(sig);
  errno = saved_errno;
}

void install_handlers() {
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    struct sigaction old {};
    if (::sigaction(kSignals[i], nullptr, &old) != 0) continue;
    // An ignored signal does not terminate the process: nothing to clean up, leave it ignored.
    if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN) continue;
    g_previous[i] = old;
    struct sigaction sa {};
    sa.sa_handler = cleanup_handler;
    sigfillset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(kSignals[i], &sa, nullptr);
  }
}

// Returns the slot index, or -1 when the table is full or the path too long (then a signal can
// leave the temporary behind; the destructor still removes it on every other path).
int arm_cleanup(const std::filesystem::path& p) {
  std::call_once(g_install_once, install_handlers);
  const std::string& s = p.native();
  if (s.size() >= kSlotPath) return -1;
  for (std::size_t i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (g_slots[i].state.compare_exchange_strong(expected, kFilling, std::memory_order_acquire)) {
      std::memcpy(g_slots[i].path, s.c_str(), s.size() + 1);
      g_slots[i].state.store(kArmed, std::memory_order_release);
      return static_cast<int>(i);
    }
  }
  return -1;
}

void disarm_cleanup(int slot) noexcept {
  if (slot >= 0) g_slots[slot].state.store(kFree, std::memory_order_release);
}

// ---- Names and links ----------------------------------------------------------------------------

// `<dir>/.<name>.tmp.<12 hex digits>`: random, so concurrent writers do not collide.
std::filesystem::path temp_name(const std::filesystem::path& destination) {
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t r = 0;
  if (::getrandom(&r, sizeof r, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof r)) {
    struct timespec ts {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    r = static_cast<std::uint64_t>(ts.tv_nsec) ^ (static_cast<std::uint64_t>(::getpid()) << 32);
  }
  r ^= counter.fetch_add(1) * 0x9e3779b97f4a7c15ULL;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%012llx",
                static_cast<unsigned long long>(r & 0xffffffffffffULL));
  std::filesystem::path dir = destination.parent_path();
  if (dir.empty()) dir = ".";
  return dir / ("." + destination.filename().string() + ".tmp." + suffix);
}

// Gives the unnamed file `fd` the name `to`; fails with EEXIST rather than replace.
int link_fd(int fd, const char* to) {
  char proc[64];
  std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (::linkat(AT_FDCWD, proc, AT_FDCWD, to, AT_SYMLINK_FOLLOW) == 0) return 0;
  if (errno != ENOENT) return -1;
  // No /proc: AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH on older kernels, but try it.
  return ::linkat(fd, "", AT_FDCWD, to, AT_EMPTY_PATH);
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

constexpr bool owner_only(unsigned mode) {
  return (mode & 077u) == 0;
}

}  // namespace

namespace detail {
void set_named_temporaries_for_testing(bool on) noexcept {
  g_named_only.store(on);
}
}  // namespace detail

AtomicFile::~AtomicFile() {
  discard();
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      overwrite_(other.overwrite_),
      dest_(std::move(other.dest_)),
      tmp_(std::move(other.tmp_)),
      slot_(std::exchange(other.slot_, -1)) {
  other.tmp_.clear();
}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    discard();
    fd_ = std::exchange(other.fd_, -1);
    overwrite_ = other.overwrite_;
    dest_ = std::move(other.dest_);
    tmp_ = std::move(other.tmp_);
    other.tmp_.clear();
    slot_ = std::exchange(other.slot_, -1);
  }
  return *this;
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!tmp_.empty()) {
    ::unlink(tmp_.c_str());
    tmp_.clear();
  }
  disarm_cleanup(std::exchange(slot_, -1));
}

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& destination, bool overwrite,
                                      unsigned mode) {
  if (!overwrite && path_exists(destination))
    return fail(Errc::output_exists,
                destination.string() + ": output exists; refusing to overwrite (use --force)");
  std::filesystem::path dir = destination.parent_path();
  if (dir.empty()) dir = ".";
  // The kernel applies the umask (or the directory's default ACL) to `mode` at creation.
  const auto create_mode = static_cast<mode_t>(mode & 07777u);
  AtomicFile f;
  f.overwrite_ = overwrite;
  f.dest_ = destination;
  int err = EOPNOTSUPP;
  if (!g_named_only.load()) {
    f.fd_ = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, create_mode);
    err = errno;
  }
  if (f.fd_ < 0 && (err == EOPNOTSUPP || err == EISDIR || err == EINVAL)) {
    // No O_TMPFILE here: a named temporary, unlinked by the signal handlers if we are interrupted.
    for (int attempt = 0; attempt < 100 && f.fd_ < 0; ++attempt) {
      std::filesystem::path tmp = temp_name(destination);
      const int slot = arm_cleanup(tmp);  // armed before the name exists: no unguarded window
      f.fd_ =
          ::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, create_mode);
      err = errno;
      if (f.fd_ >= 0) {
        f.tmp_ = std::move(tmp);
        f.slot_ = slot;
      } else {
        disarm_cleanup(slot);
        if (err != EEXIST) break;
      }
    }
  }
  if (f.fd_ < 0)
    return fail(Errc::io_write, destination.string() + ": cannot create a temporary file in " +
                                    dir.string() + ": " + errno_message(err));
  if (owner_only(mode) && ::fchmod(f.fd_, create_mode) != 0)
    return fail(Errc::io_write, destination.string() + ": cannot set permissions " +
                                    std::to_string(mode) + ": " + errno_message(errno));
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
  const auto exists_error = [&] {
    return fail(Errc::output_exists,
                dest_.string() + ": output appeared while writing; not overwritten (use --force)");
  };
  if (tmp_.empty() && !overwrite_) {
    // Unnamed file, no replacing: one link, which fails if the destination appeared meanwhile.
    if (link_fd(fd_, dest_.c_str()) != 0) {
      const int err = errno;
      if (err == EEXIST) return exists_error();
      return fail(Errc::io_write,
                  dest_.string() + ": cannot link into place: " + errno_message(err));
    }
  } else if (tmp_.empty()) {
    // Unnamed file replacing the destination: name it, then rename the name over the destination.
    int err = EEXIST;
    for (int attempt = 0; attempt < 100 && err == EEXIST; ++attempt) {
      std::filesystem::path tmp = temp_name(dest_);
      const int slot = arm_cleanup(tmp);
      if (link_fd(fd_, tmp.c_str()) == 0) {
        tmp_ = std::move(tmp);
        slot_ = slot;
        err = 0;
      } else {
        err = errno;
        disarm_cleanup(slot);
      }
    }
    if (err != 0)
      return fail(Errc::io_write,
                  dest_.string() + ": cannot link into place: " + errno_message(err));
  }
  if (!tmp_.empty()) {
    const int rc = overwrite_ ? ::rename(tmp_.c_str(), dest_.c_str())
                              : rename_noreplace(tmp_.c_str(), dest_.c_str());
    if (rc != 0) {
      const int err = errno;
      discard();
      if (err == EEXIST) return exists_error();
      return fail(Errc::io_write,
                  dest_.string() + ": cannot rename into place: " + errno_message(err));
    }
    tmp_.clear();
    disarm_cleanup(std::exchange(slot_, -1));
  }
  const int rc = ::close(std::exchange(fd_, -1));
  if (rc != 0)
    return fail(Errc::io_write, dest_.string() + ": close failed: " + errno_message(errno));
  return {};
}

}  // namespace hwlock::io
