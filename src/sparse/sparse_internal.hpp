// Declarations of the ISA-specific kernels (defined in gemm_avx512.cpp, which includes no header).
#pragma once

#include <cstddef>
#include <cstdint>

namespace hwlock::sparse::detail {

// XT is X transposed, tile-major: for each tile of 64 batch lanes (the last one ld mod 64 lanes,
// ld a multiple of 16), a contiguous [cols][lanes] block at xt + tile_start * cols; padding lanes
// zero. YT is [rows][ld].
void gemm_nm_xt_avx512(const float* xt, std::size_t ld, const float* values,
                       const std::uint8_t* indices, std::size_t rows, std::size_t groups,
                       unsigned n, unsigned m, float* yt) noexcept;
void gemm_csr_xt_avx512(const float* xt, std::size_t ld, std::size_t cols,
                        const std::uint64_t* row_ptr, const std::uint32_t* col, const float* values,
                        std::size_t rows, float* yt) noexcept;
// Small-batch kernel on row-major X and Y; returns false (and does nothing) when 16 % n != 0.
bool gemm_nm_rows_avx512(const float* x, std::size_t batch, const float* values,
                         const std::uint8_t* indices, std::size_t rows, std::size_t cols,
                         unsigned n, unsigned m, float* y) noexcept;

}  // namespace hwlock::sparse::detail
