// Internal to the transform module: the scheme singletons the table lists, and shared checks.
#pragma once

#include <string>

#include "hwlock/transform.hpp"

namespace hwlock::transform::detail {

const Scheme& aes_ctr_scheme();
const Scheme& preaes_scheme();
const Scheme& shuffle_free_scheme();  // shuffle_free_scheme.cpp
const Scheme& shuffle_scheme();       // shuffle_scheme.cpp ("shuffle-v1")

// `p` must be an empty JSON object (schemes without parameters). `what`: "parameters"/"request".
inline Status no_params(const TensorDesc& t, const Params& p, const char* what) {
  if (p.is_object() && p.empty()) return {};
  return fail(Errc::scheme_params_invalid,
              "tensor \"" + std::string(t.name) + "\": this scheme takes no " + what);
}

}  // namespace hwlock::transform::detail
