// libFuzzer target: PUF response files (puf::FilePuf, and the "puf-file" fingerprint source).
// Input: 8 bytes of request (u32le challenge, u32le nbits) then the file content. Requests with the
// top bit of nbits clear are folded into a small range around the content; others are used raw
// (huge, to reach the limits). Invariants: a request within the limits succeeds exactly when
// challenge + nbits <= 8 * content size, and then returns those bits (LSB first); otherwise it
// fails with fp_short_response (or fp_bad_params beyond the limits), naming the file; the
// "puf-file" source measures the same bits.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz_util.hpp"
#include "hwlock/fingerprint.hpp"
#include "hwlock/puf.hpp"

namespace {

std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  const std::span<const std::uint8_t> content(data + 8, size - 8);
  std::uint64_t challenge = le32(data);
  std::uint64_t nbits = le32(data + 4);
  if ((nbits & 0x80000000u) == 0) {
    challenge %= 8 * content.size() + 16;
    nbits = nbits % 4096 + 1;
  } else {
    nbits &= 0x7FFFFFFFu;
  }
  const hwlock::fuzz::MemFile file(content);
  hwlock::puf::FilePuf puf(file.path());
  auto bits = puf.respond(challenge, static_cast<std::size_t>(nbits));
  if (nbits > hwlock::puf::kMaxResponseBits) {
    HWLOCK_FUZZ_CHECK(!bits.ok() && bits.error().code == hwlock::Errc::fp_bad_params);
    return 0;
  }
  const bool fits = challenge + nbits <= 8 * std::uint64_t{content.size()};
  HWLOCK_FUZZ_CHECK(bits.ok() == fits);
  if (!bits) {
    HWLOCK_FUZZ_CHECK(bits.error().code == hwlock::Errc::fp_short_response);
    HWLOCK_FUZZ_CHECK(bits.error().message.find(file.path()) != std::string::npos);
    return 0;
  }
  HWLOCK_FUZZ_CHECK(bits->size() == nbits);
  for (std::size_t k = 0; k < nbits; ++k) {
    const std::uint64_t b = challenge + k;
    HWLOCK_FUZZ_CHECK(bits->get(k) == (((content[b / 8] >> (b % 8)) & 1u) != 0));
  }
  if (nbits == 0) return 0;  // the source requires at least one bit
  // The same request through the fingerprint source registry.
  const nlohmann::json params = {{"path", file.path()}, {"bits", nbits}, {"challenge", challenge}};
  auto src = hwlock::fingerprint::make_source("puf-file", params);
  HWLOCK_FUZZ_CHECK(src.ok());
  HWLOCK_FUZZ_CHECK((*src)->params() == params);
  auto m = (*src)->measure();
  HWLOCK_FUZZ_CHECK(m.ok() && m->bits == *bits && m->kind == "puf-file");
  return 0;
}
