// hwlock/synthetic.hpp — deterministic synthetic models for demos, tests and benchmarks.
//
// A synthetic model looks like a small transformer/MLP checkpoint: F32 weight matrices with
// roughly Gaussian values (std 0.02), F32/BF16/F16 biases and norms, an I64 buffer, a BOOL mask and
// U8 data, plus user metadata. The same spec always gives the same bytes. Data are generated and
// written in chunks, so multi-GiB models are written with bounded memory.
#pragma once

#include <cstdint>
#include <filesystem>

#include "hwlock/error.hpp"

namespace hwlock {

struct SyntheticSpec {
  std::uint64_t target_bytes = 8u << 20;  // approximate size of the tensor data
  std::uint64_t seed = 1;
  std::uint32_t hidden = 256;  // width of the square-ish weight matrices
};

// Writes the model atomically; output_exists unless `overwrite`. Returns the tensor data size.
Result<std::uint64_t> write_synthetic_model(const std::filesystem::path& path,
                                            const SyntheticSpec& spec, bool overwrite);

}  // namespace hwlock
