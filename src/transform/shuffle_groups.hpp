// Internal to the transform module: coupling groups, the common form of a zoo plan and of a
// structure spec, and their validation into shuffle-v1 requests (shuffle_spec.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hwlock/shuffle.hpp"

namespace hwlock::transform::detail {

struct GroupMember {
  std::string tensor;
  std::uint64_t axis = 0;
  std::uint64_t block = 1;    // entries per unit
  std::uint64_t tile = 1;     // equal segments, each permuted alike (q, k, v thirds)
  std::optional<bool> scale;  // default: the group's
};

struct GroupSpec {
  std::string name;
  bool scale = false;
  std::vector<GroupMember> in, out;
};

// Validates the groups against the tensors (errors: structure_invalid, starting with `origin`;
// member paths as in a spec: groups[i].in[j]) and builds one request per tensor.
Result<ShufflePlan> plan_from_groups(const std::vector<GroupSpec>& groups,
                                     const std::vector<TensorDesc>& tensors,
                                     std::string_view origin, std::string arch);

}  // namespace hwlock::transform::detail
