// Helper-data record: canonical serialization and a strict parser (layout in fuzzy.hpp). The input
// is hostile: sizes are computed from validated parameters and must match the record exactly.
#include <algorithm>
#include <cstring>
#include <string>

#include "fuzzy_internal.hpp"
#include "hwlock/fuzzy.hpp"

namespace hwlock::fuzzy {
namespace {

constexpr std::array<std::uint8_t, 4> kMagic = {'H', 'W', 'F', 'E'};
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kFixedSize = 48;  // magic .. salt
constexpr std::uint8_t kFlagMask = 1;

static_assert(kFixedSize == 4 + 1 + 1 + 2 + 2 + 2 + 1 + 3 + kSaltSize);

Error invalid(const std::string& why) {
  return fail(Errc::fuzzy_helper_invalid, "fuzzy helper data invalid: " + why);
}

void put_u16(std::vector<std::byte>& out, unsigned v) {
  out.push_back(static_cast<std::byte>(v & 0xFFu));
  out.push_back(static_cast<std::byte>((v >> 8) & 0xFFu));
}

unsigned get_u16(crypto::ByteSpan in, std::size_t at) {
  return std::to_integer<unsigned>(in[at]) | (std::to_integer<unsigned>(in[at + 1]) << 8);
}

bool bit(std::span<const std::uint8_t> packed, std::size_t i) {
  return ((packed[i / 8] >> (i % 8)) & 1u) != 0;
}

}  // namespace

namespace detail {

Result<std::size_t> check_helper(const HelperData& h) {
  auto n = response_bits(h.params);
  if (!n) return invalid(n.error().message);
  const std::size_t n_total = *n, bytes = packed_size(n_total);
  if (h.offset.size() != bytes)
    return invalid("offset holds " + std::to_string(h.offset.size()) + " bytes, expected " +
                   std::to_string(bytes));
  if (!h.mask.empty() && h.mask.size() != bytes)
    return invalid("mask holds " + std::to_string(h.mask.size()) + " bytes, expected " +
                   std::to_string(bytes));
  for (std::size_t i = n_total; i < bytes * 8; ++i)
    if (bit(h.offset, i) || (!h.mask.empty() && bit(h.mask, i)))
      return invalid("padding bits are not zero");
  if (!h.mask.empty()) {
    bool all_used = true;
    for (std::size_t i = 0; i < n_total; ++i) {
      if (bit(h.mask, i)) continue;
      all_used = false;
      if (bit(h.offset, i))
        return invalid("offset bit " + std::to_string(i) + " is masked but set");
    }
    if (all_used) return invalid("mask present but excludes nothing (must be omitted)");
  }
  return n_total;
}

}  // namespace detail

std::vector<std::byte> HelperData::serialize() const {
  [[maybe_unused]] const auto valid = detail::check_helper(*this);
  assert(valid.ok());
  std::vector<std::byte> out;
  out.reserve(kFixedSize + offset.size() + mask.size() + kTagSize);
  for (auto c : kMagic) out.push_back(static_cast<std::byte>(c));
  out.push_back(static_cast<std::byte>(kVersion));
  out.push_back(static_cast<std::byte>(params.bch_m));
  put_u16(out, params.bch_t);
  put_u16(out, params.repetition);
  put_u16(out, params.blocks);
  out.push_back(static_cast<std::byte>(mask.empty() ? 0 : kFlagMask));
  for (int i = 0; i < 3; ++i) out.push_back(std::byte{0});
  out.insert(out.end(), salt.begin(), salt.end());
  for (auto b : offset) out.push_back(static_cast<std::byte>(b));
  for (auto b : mask) out.push_back(static_cast<std::byte>(b));
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

Result<HelperData> HelperData::parse(crypto::ByteSpan in) {
  if (in.size() < kFixedSize + kTagSize)
    return invalid("record of " + std::to_string(in.size()) + " bytes is too short");
  for (std::size_t i = 0; i < kMagic.size(); ++i)
    if (std::to_integer<std::uint8_t>(in[i]) != kMagic[i]) return invalid("bad magic");
  if (std::to_integer<std::uint8_t>(in[4]) != kVersion)
    return invalid("unsupported version " + std::to_string(std::to_integer<unsigned>(in[4])));
  HelperData h;
  h.params.bch_m = std::to_integer<unsigned>(in[5]);
  h.params.bch_t = get_u16(in, 6);
  h.params.repetition = get_u16(in, 8);
  h.params.blocks = get_u16(in, 10);
  const auto flags = std::to_integer<std::uint8_t>(in[12]);
  if ((flags & ~kFlagMask) != 0) return invalid("unknown flags");
  if (in[13] != std::byte{0} || in[14] != std::byte{0} || in[15] != std::byte{0})
    return invalid("reserved bytes are not zero");
  auto n = response_bits(h.params);  // validates the parameters before any size arithmetic
  if (!n) return invalid(n.error().message);
  const std::size_t bytes = detail::packed_size(*n);
  const std::size_t expected = kFixedSize + bytes * ((flags & kFlagMask) ? 2 : 1) + kTagSize;
  if (in.size() != expected)
    return invalid("record holds " + std::to_string(in.size()) + " bytes, parameters imply " +
                   std::to_string(expected));
  std::memcpy(h.salt.data(), in.data() + 16, kSaltSize);
  auto take = [&](std::size_t at, std::vector<std::uint8_t>& dst) {
    dst.resize(bytes);
    std::memcpy(dst.data(), in.data() + at, bytes);
  };
  take(kFixedSize, h.offset);
  if (flags & kFlagMask) take(kFixedSize + bytes, h.mask);
  std::memcpy(h.tag.data(), in.data() + in.size() - kTagSize, kTagSize);
  HWLOCK_TRY(detail::check_helper(h));
  return h;
}

}  // namespace hwlock::fuzzy
