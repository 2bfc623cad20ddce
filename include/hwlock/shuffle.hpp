// hwlock/shuffle.hpp — structure analysis for the structured keyed shuffle ("shuffle-v1").
//
// shuffle-v1 permutes an axis of a tensor under the key of a named coupling group and a side
// ("in" or "out"); docs/SHUFFLE.md defines the scheme. A coupling is a set of tensor axes that
// index the same hidden units: the "in" side produces them (rows of a layer's weight, its bias, the
// following BatchNorm's vectors), the "out" side consumes them (columns of the next layer's
// weight). The two sides get different permutations, so the locked model computes garbage while
// every locked tensor stays a plausible, internally consistent tensor.
//
// This header turns a file's tensor list into per-tensor lock requests for shuffle-v1:
//   - plan_for_zoo: the couplings of the project's zoo models (and PyTorch state_dicts with the
//     same names and shapes), found from names and shapes alone;
//   - plan_from_spec: the couplings an explicit structure spec names (JSON, format in
//     docs/SHUFFLE.md), validated as hostile input.
// A request is {"axes": [A_0, .., A_{r-1}]}, one entry per axis: null (not permuted) or
// {"group": name, "side": "in"|"out", "block": k, "tile": m, "scale": bool}. Every tensor of the
// file gets one; tensors in no group get all nulls (shuffle-v1 leaves them as they are).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/safetensors.hpp"
#include "hwlock/transform.hpp"

namespace hwlock::transform {

inline constexpr std::string_view kShuffleFreeSchemeId = "shuffle-free-v1";
inline constexpr std::string_view kShuffleSchemeId = "shuffle-v1";
inline constexpr int kStructureSpecVersion = 1;  // "hwlock_structure" in a spec

struct ShufflePlan {
  // "mlp", "cnn", "resnet20", "vit-tiny" (plan_for_zoo) or "spec" (plan_from_spec).
  std::string arch;
  // Tensor name -> shuffle-v1 lock request; one entry per tensor of the file.
  std::map<std::string, Params, std::less<>> requests;
  // Number of coupling groups and of tensors with at least one permuted axis (for reports).
  std::size_t groups = 0;
  std::size_t permuted_tensors = 0;
};

// The tensor list of a parsed header, as views into `h` (valid while `h` lives, unchanged).
std::vector<TensorDesc> tensor_descs(const st::Header& h);

// Which zoo architecture the tensor list is ("mlp", "cnn", "resnet20", "vit-tiny"), or nullopt.
// A match needs exactly the zoo's tensor names with exactly its shapes (dtypes are free).
std::optional<std::string_view> recognise_zoo_arch(const std::vector<TensorDesc>& tensors);

// The shuffle-v1 requests for a zoo model (couplings per model in docs/SHUFFLE.md). Errors:
// structure_invalid when no known architecture matches (the message points to --structure and
// to --scheme shuffle-free: never a silently weaker lock).
Result<ShufflePlan> plan_for_zoo(const std::vector<TensorDesc>& tensors);

// The shuffle-v1 requests a structure spec describes. `origin` (the spec's path) starts every
// error message. Errors: structure_invalid (unknown or missing fields, a tensor the file lacks,
// an axis out of range, coupled axes of different unit counts, a tensor axis claimed twice,
// scaling of a non-float tensor, no groups).
Result<ShufflePlan> plan_from_spec(const nlohmann::json& spec,
                                   const std::vector<TensorDesc>& tensors, std::string_view origin);
// The same from the spec's text (bad JSON: structure_invalid). Never throws.
Result<ShufflePlan> plan_from_spec_text(std::string_view text,
                                        const std::vector<TensorDesc>& tensors,
                                        std::string_view origin);

}  // namespace hwlock::transform
