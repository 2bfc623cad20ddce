// Shared by state.cpp and torchscript.cpp.
#pragma once

#include <string_view>

#include "hwlock/ml/state.hpp"

namespace hwlock::ml::detail {

// Copies `source` into `targets` (tensors sharing storage with a module) by name. Strict: every
// target present with equal dtype and shape, no extra source tensor; checked before anything is
// written, so a failed call leaves the targets unchanged. Call inside guard().
Status assign_named(const NamedTensors& targets, const NamedTensors& source,
                    std::string_view origin);

}  // namespace hwlock::ml::detail
