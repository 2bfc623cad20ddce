// hwlock-ml fingerprint [--source S] [--params JSON] [--repeat N] [--show-bits] [--json]
//
// `hwlock fingerprint` for the workbench: the same output (text, and JSON of the same shape, which
// `hwlock fingerprint-eval` parses), with the libtorch source "torch" (the default here) added to
// the runtime's sources. Also prints which CPU capability ATen dispatched to (ATEN_CPU_CAPABILITY
// overrides it), since the torch bits depend on it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "common.hpp"
#include "hwlock/fingerprint.hpp"
#include "hwlock/ml/fingerprint_torch.hpp"

namespace hwlock::cli {
namespace {

struct MlFingerprintArgs {
  std::string source = "torch";
  std::string params = "{}";
  unsigned repeat = 1;
  bool show_bits = false, json = false;
};

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

int run_ml_fingerprint(const MlFingerprintArgs& a) {
  nlohmann::json params;
  try {
    params = nlohmann::json::parse(a.params);
  } catch (const nlohmann::json::exception& e) {
    return report(fail(Errc::usage, std::string("--params is not JSON: ") + e.what()), a.json);
  }
  auto source = fingerprint::make_source(a.source, params);
  if (!source) return report(source.error(), a.json);
  nlohmann::json runs = nlohmann::json::array();
  std::optional<fingerprint::Measurement> first;
  std::size_t identical = 0;
  for (unsigned i = 0; i < std::max(1u, a.repeat); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto m = (*source)->measure();
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!m) return report(m.error(), a.json);
    if (!first) first = *m;
    identical += m->bits == first->bits ? 1 : 0;
    nlohmann::json run{{"measurement_id", hex64(m->hash())},
                       {"milliseconds", ms},
                       {"hamming_to_first", fingerprint::hamming_distance(m->bits, first->bits)}};
    if (!m->raw.empty()) run["raw"] = m->raw;
    if (a.show_bits) run["bits_hex"] = m->bits.to_hex();
    runs.push_back(run);
  }
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& f : first->fields)
    fields.push_back({{"name", f.name}, {"offset", f.offset}, {"width", f.width}});
  const std::string capability = ml::torch_cpu_capability();
  if (a.json) {
    print_json({{"ok", true},
                {"source", a.source},
                {"params", (*source)->params()},
                {"bits", first->bits.size()},
                {"platform_bits", first->platform.size()},
                {"fields", fields},
                {"runs", runs},
                {"identical_runs", identical},
                {"torch_cpu_capability", capability}});
    return 0;
  }
  std::cout << "source " << a.source << ": " << first->bits.size() << " bits in "
            << first->fields.size() << " fields (+" << first->platform.size()
            << " platform bits read from the CPU); ATen dispatches to " << capability << "\n";
  for (const auto& r : runs)
    std::cout << "  measurement " << r["measurement_id"].get<std::string>() << "  "
              << r["milliseconds"].get<double>() << " ms, "
              << r["hamming_to_first"].get<std::size_t>() << " bits differ from the first\n";
  std::cout << identical << " of " << runs.size() << " measurements identical\n";
  return 0;
}

}  // namespace

void register_ml_fingerprint(CLI::App& app, Verbs& verbs) {
  auto args = std::make_shared<MlFingerprintArgs>();
  auto* sub = app.add_subcommand("fingerprint", "Measure this device's fingerprint (with torch)");
  sub->add_option("--source", args->source, "torch | numeric | timing | puf-sim | puf-file")
      ->check(CLI::IsMember({"torch", "numeric", "timing", "puf-sim", "puf-file"}))
      ->capture_default_str();
  sub->add_option("--params", args->params, "Source parameters as a JSON object")
      ->capture_default_str();
  sub->add_option("--repeat", args->repeat, "Measure N times and compare")->capture_default_str();
  sub->add_flag("--show-bits", args->show_bits,
                "Also print the raw bits (sensitive: device keys derive from them)");
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_ml_fingerprint(*args); });
}

}  // namespace hwlock::cli
