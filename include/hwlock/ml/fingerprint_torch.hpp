// hwlock/ml/fingerprint_torch.hpp — the "torch" fingerprint source: libtorch numerics (workbench).
//
// The exact output bits of a fixed challenge run through libtorch CPU kernels: a float matmul, a
// dot product and a 2-D convolution over long vectors of mixed magnitude (2^-20 .. 2^20, so the
// summation order shows in the low bits), row and full reductions (sum, mean, L2 norm, cumsum, and
// a double sum), softmax and log-softmax, layer norm, and the vectorised transcendentals (exp,
// log, tanh, sigmoid, erf, GELU). ATen compiles each such kernel once per CPU capability and picks
// one at start-up (ATEN_CPU_CAPABILITY=default|avx2|avx512 overrides it): the vector width changes
// reduction order and the transcendental implementation (scalar libm vs vectorised SLEEF), so the
// bits identify the dispatched kernel family plus the libtorch build. The challenge is generated
// here from a fixed seed (splitmix64), never from libtorch's RNG.
//
// Layout: one 32-bit field per probe ("torch.mm.f32", ..., fixed order, see the .cpp), each the
// hash64 of the probe's output bytes folded to 32 bits. Measurement::platform holds the capability
// ATen dispatched to (2 bits, field "torch.cpu_capability": 0 default, 1 AVX2, 2 AVX512), read
// rather than measured and not part of the bits.
//
// Determinism: probes run with one intra-op thread (the previous count is restored afterwards), so
// the bits are identical run to run and process to process on one machine and one libtorch build.
//
// Parameters: none ({}). The runtime library never links libtorch, so make_source("torch") only
// works in processes that called register_torch_source() (hwlock-ml does at start). Device
// records whose source (or composite part) is "torch" are therefore reproduced by hwlock-ml
// (`hwlock-ml unlock`); the runtime `hwlock unlock` reports that instead of guessing.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "hwlock/error.hpp"
#include "hwlock/fingerprint.hpp"

namespace hwlock::ml {

inline constexpr std::string_view kTorchSourceKind = "torch";

// The source. Errors from measure(): torch (libtorch failed).
std::unique_ptr<fingerprint::FingerprintSource> make_torch_source();

// make_source() factory: `params` must be {} or null (fp_bad_params otherwise).
Result<std::unique_ptr<fingerprint::FingerprintSource>> make_torch_source_from_params(
    const nlohmann::json& params);

// Makes make_source("torch") available in this process until exit. Idempotent, thread-safe.
void register_torch_source();

// The CPU capability ATen dispatches to in this process: "default", "avx2" or "avx512".
std::string torch_cpu_capability();

}  // namespace hwlock::ml
