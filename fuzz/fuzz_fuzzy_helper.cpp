// libFuzzer target: arbitrary bytes as fuzzy-extractor helper data (fuzzy::HelperData::parse), then
// a reproduction against it.
// Invariants: failures are fuzzy_helper_invalid; an accepted record has consistent sizes and
// re-serialises to exactly the input (one encoding only, so the tag covers what was parsed).
// Reproducing with a fixed response (all zeros: what the seed corpus was enrolled with) either
// fails with decode_failed / helper_tampered, or yields a key; the record-bytes overload agrees
// with the parsed-helper overload; and a key, once reproduced, is never reproduced under another
// context (the tag binds it).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "fuzz_util.hpp"
#include "hwlock/fuzzy.hpp"

namespace {

namespace fz = hwlock::fuzzy;

constexpr std::string_view kContext = "hwlock/fuzz";
// Decoding cost grows with the code length; longer codes are covered by the parser checks only.
constexpr std::size_t kMaxReproduceBits = 4096;

bool expected_failure(hwlock::Errc c) {
  return c == hwlock::Errc::fuzzy_decode_failed || c == hwlock::Errc::fuzzy_helper_tampered;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto record = std::as_bytes(std::span(data, size));
  auto helper = fz::HelperData::parse(record);
  if (!helper) {
    HWLOCK_FUZZ_CHECK(helper.error().code == hwlock::Errc::fuzzy_helper_invalid);
    return 0;
  }
  auto n = fz::response_bits(helper->params);
  HWLOCK_FUZZ_CHECK(n.ok());
  const std::size_t bytes = (*n + 7) / 8;
  HWLOCK_FUZZ_CHECK(helper->offset.size() == bytes);
  HWLOCK_FUZZ_CHECK(helper->mask.empty() || helper->mask.size() == bytes);
  const std::vector<std::byte> again = helper->serialize();
  HWLOCK_FUZZ_CHECK(again.size() == size && std::memcmp(again.data(), data, size) == 0);

  if (*n > kMaxReproduceBits) return 0;
  const std::vector<std::uint8_t> response(bytes, 0);
  auto key = fz::reproduce(response, *n, *helper, kContext);
  auto key_bytes = fz::reproduce(response, *n, record, kContext);
  HWLOCK_FUZZ_CHECK(key.ok() == key_bytes.ok());
  if (!key) {
    HWLOCK_FUZZ_CHECK(expected_failure(key.error().code));
    HWLOCK_FUZZ_CHECK(key.error().code == key_bytes.error().code);
    return 0;
  }
  HWLOCK_FUZZ_CHECK(key->valid());
  HWLOCK_FUZZ_CHECK(std::memcmp(key->bytes().data(), key_bytes->bytes().data(), 32) == 0);
  auto other = fz::reproduce(response, *n, *helper, "hwlock/fuzz-other");
  HWLOCK_FUZZ_CHECK(!other.ok() && other.error().code == hwlock::Errc::fuzzy_helper_tampered);
  return 0;
}
