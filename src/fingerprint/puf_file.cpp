// A real device's PUF responses from a file or character device: the stream is read from its start
// on every respond() (character devices cannot seek), keeping only the requested bits.
#include <fcntl.h>
#include <string.h>  // explicit_bzero
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hwlock/puf.hpp"

namespace hwlock::puf {
namespace {

class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// Raw responses read from the stream are wiped when the buffer holding them goes away.
class WipeOnExit {
 public:
  WipeOnExit(void* p, std::size_t n) noexcept : p_(p), n_(n) {}
  ~WipeOnExit() {
    if (n_ != 0) ::explicit_bzero(p_, n_);
  }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  void* p_;
  std::size_t n_;
};

// Streams beyond this many bits (challenge + nbits) are refused: 2^36 bits = 8 GiB.
constexpr std::uint64_t kMaxStreamBits = std::uint64_t{1} << 36;

}  // namespace

Result<BitVector> FilePuf::respond(std::uint64_t challenge, std::size_t nbits) {
  const std::string where = path_.string();
  if (nbits > kMaxResponseBits || challenge > kMaxStreamBits - nbits)
    return fail(Errc::fp_bad_params, where + ": PUF request of " + std::to_string(nbits) +
                                         " bits at bit " + std::to_string(challenge) +
                                         " exceeds the limit");
  const Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0)
    return fail(Errc::io_open,
                where + ": cannot open PUF response source: " + std::strerror(errno));

  const std::uint64_t first_byte = challenge / 8;
  const std::uint64_t end_byte = (challenge + nbits + 7) / 8;
  std::vector<std::uint8_t> window(static_cast<std::size_t>(end_byte - first_byte));
  std::uint64_t pos = 0;  // bytes consumed from the stream
  std::uint8_t skip[65536];
  const WipeOnExit wipe_window(window.data(), window.size()), wipe_skip(skip, sizeof skip);
  while (pos < end_byte) {
    std::uint8_t* dst;
    std::size_t want;
    if (pos < first_byte) {  // discard bytes before the window
      dst = skip;
      want = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof skip, first_byte - pos));
    } else {
      dst = window.data() + (pos - first_byte);
      want = static_cast<std::size_t>(end_byte - pos);
    }
    const ssize_t got = ::read(fd.get(), dst, want);
    if (got < 0) {
      if (errno == EINTR) continue;
      return fail(Errc::io_read, where + ": cannot read PUF responses: " + std::strerror(errno));
    }
    if (got == 0) break;
    pos += static_cast<std::uint64_t>(got);
  }
  if (pos < end_byte)
    return fail(Errc::fp_short_response,
                where + ": PUF responses too short: need " + std::to_string(end_byte) +
                    " bytes (bits " + std::to_string(challenge) + ".." +
                    std::to_string(challenge + nbits) + "), got " + std::to_string(pos));

  BitVector out(nbits);
  const unsigned shift = static_cast<unsigned>(challenge % 8);
  for (std::size_t k = 0; k < nbits; ++k) {
    const std::size_t bit = shift + k;
    out.set(k, (window[bit / 8] >> (bit % 8)) & 1u);
  }
  return out;
}

}  // namespace hwlock::puf
