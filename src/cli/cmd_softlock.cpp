// hwlock softlock sparse|... — soft locks: fine-tune a model so that it is accurate only in the
// representation the authorized hardware runs efficiently (paper: "targeting the efficiency of
// model representations"). One subcommand per kind of lock, each in its own cmd_softlock_*.cpp.
#include "common.hpp"

namespace hwlock::cli {

void register_softlock(CLI::App& app, Verbs& verbs) {
  auto* sub =
      app.add_subcommand("softlock", "Soft locks: sparsity- (and format-) aware fine-tuning");
  sub->require_subcommand(1);
  register_softlock_sparse(*sub, verbs);
  register_softlock_quant(*sub, verbs);
}

}  // namespace hwlock::cli
