#include "preaes_codebook.hpp"

#include <algorithm>
#include <numeric>

namespace hwlock::transform::detail::preaes {
namespace {

__extension__ typedef unsigned __int128 u128;  // exact (space - d) * count products

void put_varint(std::vector<std::byte>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::byte>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::byte>(v));
}

// Reads hostile bytes; every failure is a message, never a read past the end.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> b) : b_(b) {}
  std::size_t left() const noexcept { return b_.size() - pos_; }
  std::size_t pos() const noexcept { return pos_; }
  bool byte(std::uint8_t& v) {
    if (pos_ == b_.size()) return false;
    v = std::to_integer<std::uint8_t>(b_[pos_++]);
    return true;
  }
  // Minimal-length LEB128 of at most 64 bits; `why` says what was wrong on failure.
  bool varint(std::uint64_t& v, const char*& why) {
    v = 0;
    for (unsigned i = 0;; ++i) {
      std::uint8_t c = 0;
      if (!byte(c)) {
        why = "truncated varint";
        return false;
      }
      if (i == 9 && c > 1) {
        why = "varint over 64 bits";
        return false;
      }
      v |= std::uint64_t{c & 0x7Fu} << (7 * i);
      if ((c & 0x80) == 0) {
        if (c != 0 || i == 0) return true;
        why = "varint not minimal";
        return false;
      }
    }
  }

 private:
  std::span<const std::byte> b_;
  std::size_t pos_ = 0;
};

}  // namespace

Order order_of(st::DType dtype) noexcept {
  switch (dtype) {
    case st::DType::F16:
    case st::DType::BF16:
    case st::DType::F32:
    case st::DType::F64:
    case st::DType::F8_E4M3:
    case st::DType::F8_E5M2:
      return Order::float_;
    case st::DType::I8:
    case st::DType::I16:
    case st::DType::I32:
    case st::DType::I64:
      return Order::signed_;
    default:
      return Order::unsigned_;
  }
}

Codebook codebook_of(std::span<const std::uint32_t> keys, unsigned bits) {
  Codebook cb;
  if (bits <= 16) {  // histogram over the whole code space
    std::vector<std::uint64_t> hist(std::size_t{1} << bits, 0);
    for (const std::uint32_t k : keys) ++hist[k];
    for (std::size_t k = 0; k < hist.size(); ++k)
      if (hist[k] != 0) {
        cb.keys.push_back(static_cast<std::uint32_t>(k));
        cb.counts.push_back(hist[k]);
      }
    return cb;
  }
  std::vector<std::uint32_t> sorted(keys.begin(), keys.end());
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t e = i + 1;
    while (e < sorted.size() && sorted[e] == sorted[i]) ++e;
    cb.keys.push_back(sorted[i]);
    cb.counts.push_back(e - i);
    i = e;
  }
  return cb;
}

std::vector<std::byte> encode_codebook(const Codebook& cb) {
  std::vector<std::byte> out{static_cast<std::byte>(kCodebookVersion)};
  put_varint(out, cb.keys.size());
  for (std::size_t j = 0; j < cb.keys.size(); ++j)
    put_varint(out, j == 0 ? cb.keys[0] : cb.keys[j] - cb.keys[j - 1]);
  for (const std::uint64_t c : cb.counts) put_varint(out, c);
  return out;
}

Result<Codebook> decode_codebook(std::span<const std::byte> bytes, std::uint64_t n,
                                 std::uint64_t space, const std::string& where) {
  const auto bad = [&](const std::string& what) {
    return fail(Errc::scheme_params_invalid, where + ": codebook " + what);
  };
  Reader r(bytes);
  const char* why = "";
  std::uint8_t version = 0;
  if (!r.byte(version)) return bad("is empty");
  if (version != kCodebookVersion) return bad("version " + std::to_string(version) + " unknown");
  std::uint64_t d = 0;
  if (!r.varint(d, why)) return bad(std::string(why) + " (number of values)");
  const std::string d_is = "has " + std::to_string(d) + " distinct values";
  if (d == 0 && n > 0) return bad(d_is + " for " + std::to_string(n) + " elements");
  if (d > n) return bad(d_is + ", more than the " + std::to_string(n) + " elements");
  if (d > space) return bad(d_is + ", more than the dtype has");
  if (d > r.left() / 2)
    return bad(d_is + " in " + std::to_string(r.left()) + " bytes");  // truncated
  Codebook cb;
  cb.keys.reserve(static_cast<std::size_t>(d));
  cb.counts.reserve(static_cast<std::size_t>(d));
  std::uint64_t key = 0;
  for (std::uint64_t j = 0; j < d; ++j) {
    std::uint64_t v = 0;
    if (!r.varint(v, why)) return bad(std::string(why) + " (value " + std::to_string(j) + ")");
    if (j > 0 && v == 0) return bad("values not strictly increasing at " + std::to_string(j));
    if (v >= space - (j == 0 ? 0 : key))
      return bad("value " + std::to_string(j) + " out of range for the dtype");
    key = j == 0 ? v : key + v;
    cb.keys.push_back(static_cast<std::uint32_t>(key));
  }
  std::uint64_t sum = 0;
  for (std::uint64_t j = 0; j < d; ++j) {
    std::uint64_t c = 0;
    if (!r.varint(c, why)) return bad(std::string(why) + " (count " + std::to_string(j) + ")");
    if (c == 0) return bad("count " + std::to_string(j) + " is zero");
    if (c > n - sum) return bad("counts sum to more than the " + std::to_string(n) + " elements");
    sum += c;
    cb.counts.push_back(c);
  }
  if (sum != n)
    return bad("counts sum to " + std::to_string(sum) + ", not the " + std::to_string(n) +
               " elements");
  if (r.left() != 0) return bad("has " + std::to_string(r.left()) + " trailing bytes");
  return cb;
}

std::vector<std::uint64_t> allot_slots(std::span<const std::uint64_t> counts, std::uint64_t space) {
  const std::size_t d = counts.size();
  const std::uint64_t n = std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
  const std::uint64_t spare = space - d;
  std::vector<std::uint64_t> slots(d, 1), rem(d);
  std::uint64_t given = 0;
  for (std::size_t j = 0; j < d; ++j) {
    const u128 q = u128{spare} * counts[j];
    slots[j] += static_cast<std::uint64_t>(q / n);
    rem[j] = static_cast<std::uint64_t>(q % n);
    given += static_cast<std::uint64_t>(q / n);
  }
  const std::size_t extra = static_cast<std::size_t>(spare - given);  // < d
  if (extra > 0) {
    std::vector<std::size_t> idx(d);
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    const auto before = [&](std::size_t a, std::size_t b) {
      return rem[a] != rem[b] ? rem[a] > rem[b] : a < b;
    };
    std::nth_element(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(extra - 1), idx.end(),
                     before);
    for (std::size_t i = 0; i < extra; ++i) ++slots[idx[i]];
  }
  std::vector<std::uint64_t> starts(d + 1, 0);
  for (std::size_t j = 0; j < d; ++j) starts[j + 1] = starts[j] + slots[j];
  return starts;
}

void quantise_rank16_f32(std::span<const std::byte> in, std::span<std::byte> out) {
  const std::size_t n = in.size() / 4;
  std::vector<std::uint32_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) {
    keys[i] = to_key(Order::float_, 32, load_le(in.data() + 4 * i, 4));
  }
  std::vector<std::uint32_t> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::uint32_t> distinct, quantised;
  for (std::size_t r = 0; r < n; ++r) {
    if (r > 0 && sorted[r] == sorted[r - 1]) continue;
    const u128 B = kRank16Bins;
    const auto k = static_cast<std::uint64_t>(((u128{r} + 1) * B + n - 1) / n - 1);
    const auto lo = static_cast<std::size_t>(u128{k} * n / B);
    const auto hi = static_cast<std::size_t>((u128{k} + 1) * n / B);
    distinct.push_back(sorted[r]);
    quantised.push_back(sorted[lo + (hi - lo - 1) / 2]);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto j = std::lower_bound(distinct.begin(), distinct.end(), keys[i]) - distinct.begin();
    store_le(out.data() + 4 * i, 4,
             from_key(Order::float_, 32, quantised[static_cast<std::size_t>(j)]));
  }
}

}  // namespace hwlock::transform::detail::preaes
