// hwlock/ml/state.hpp — module weights <-> safetensors, and TorchScript import (workbench only).
//
// A module's state is its parameters followed by its buffers, named exactly as
// named_parameters() / named_buffers() name them ("layer1.0.bn1.running_mean"), which are the
// names PyTorch's state_dict() uses. Tensors keep their dtype: float32 weights are stored as F32,
// BatchNorm's num_batches_tracked as I64 (as PyTorch's safetensors export does). Values round-trip
// bit-exactly. Loading is strict: every name must be present with the same dtype and shape, and the
// file may hold nothing else (Errc::model_mismatch otherwise, naming the tensor).
//
// TorchScript: a module saved from Python with torch.jit.save() is loaded with torch::jit::load and
// its parameters and buffers converted to safetensors (and written back into a TorchScript file).
// libtorch failures are returned as Errc::torch; nothing throws.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/safetensors.hpp"

namespace hwlock::ml {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Parameters then buffers of `module` (sharing storage with it; not copies).
NamedTensors state_of(const torch::nn::Module& module);

// Writes tensors (any CPU dtype safetensors has) to a safetensors file, atomically.
Status save_safetensors(const NamedTensors& tensors, const std::filesystem::path& path,
                        const st::Metadata& metadata = {}, bool overwrite = false);
// Reads every tensor of a safetensors file into owned CPU tensors, in file order.
Result<NamedTensors> load_safetensors(const std::filesystem::path& path);

// Copies `tensors` into the module's parameters and buffers (strict; see above). `origin` names the
// source in error messages.
Status assign_state(torch::nn::Module& module, const NamedTensors& tensors,
                    std::string_view origin);

Status save_module(const torch::nn::Module& module, const std::filesystem::path& path,
                   const st::Metadata& metadata = {}, bool overwrite = false);
Status load_module(torch::nn::Module& module, const std::filesystem::path& path);

// Parameters then buffers of a TorchScript file (torch.jit.save from Python), as owned tensors.
Result<NamedTensors> load_torchscript_state(const std::filesystem::path& path);
// TorchScript file -> safetensors file with the same names.
Status torchscript_to_safetensors(const std::filesystem::path& torchscript,
                                  const std::filesystem::path& out, bool overwrite = false);
// Loads the TorchScript module `torchscript`, replaces its parameters and buffers with those of
// `weights` (strict), and saves the result to `out` atomically.
Status safetensors_to_torchscript(const std::filesystem::path& weights,
                                  const std::filesystem::path& torchscript,
                                  const std::filesystem::path& out, bool overwrite = false);

}  // namespace hwlock::ml
