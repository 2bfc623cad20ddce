// Internal to the transform module: what both shuffle schemes do to a tensor's bytes. Elements
// are moved whole along permuted axes; float elements may be scaled by powers of two, exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "hwlock/transform.hpp"

namespace hwlock::transform::detail {

// One index map per axis: element i is the source index of locked position i along that axis
// (keyed_permutation's convention); an empty map is the identity.
using AxisMaps = std::vector<std::vector<std::uint32_t>>;

// Checks that t.bytes is shape x dtype size and that both buffers hold t.bytes (errors:
// internal, they are the caller's bug); returns the number of elements.
Result<std::uint64_t> check_tensor_buffers(const TensorDesc& t, std::size_t in_size,
                                           std::size_t out_size);

// Locks (`inverse` false): out[i_0, .., i_r] = in[m_0[i_0], .., m_r[i_r]]. Unlocks (`inverse`
// true): out[m_0[i_0], .., m_r[i_r]] = in[i_0, .., i_r]. `in` and `out` must not overlap.
void permute_axes(std::span<const std::uint64_t> shape, std::size_t elem_size, const AxisMaps& maps,
                  std::span<const std::byte> in, std::span<std::byte> out, bool inverse);

// The index map of an axis of `tile` equal segments, each `units` blocks of `block` entries,
// when `unit_perm` permutes the units (the same permutation in every segment).
std::vector<std::uint32_t> expand_unit_permutation(const std::vector<std::uint32_t>& unit_perm,
                                                   std::uint64_t block, std::uint64_t tile);

// Whether power-of-two scaling applies to the dtype (F16, BF16, F32, F64).
bool scalable_dtype(st::DType d) noexcept;

// Multiplies every element of `data` (a tensor of `shape`, scalable dtype) whose index along
// `axis` lies in unit u by 2^(sign * exps[u]); the unit of index i is (i mod (units*block)) /
// block with units = exps.size(). Zero, inf and NaN are left as they are. With `check`, nothing is
// written and the result says whether every element scales exactly (a normal value whose scaled
// exponent stays normal; subnormal inputs only under exponent 0). Without `check`, elements that
// would not scale exactly are left as they are (so unlocking under a wrong key never fails).
bool scale_axis(st::DType dtype, std::span<const std::uint64_t> shape, std::size_t axis,
                std::uint64_t block, const std::vector<std::int8_t>& exps, int sign,
                std::span<std::byte> data, bool check);

// Wipes and frees key-derived vectors (permutations and exponents are key material).
void wipe_maps(AxisMaps& maps) noexcept;
void wipe_exps(std::vector<std::int8_t>& exps) noexcept;

}  // namespace hwlock::transform::detail
