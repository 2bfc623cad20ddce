// hwlock fingerprint [--source S] [--params JSON] [--repeat N] [--show-bits] [--json]
// (also hwlock-ml fingerprint, which adds the libtorch source "torch")
//
// Measures this device. Prints a measurement id (a non-cryptographic hash, to compare runs), the
// field layout and, for timing, the measured ratios. The bits themselves are what device keys are
// derived from, so they are printed only on request (--show-bits).
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>

#include "common.hpp"
#include "hwlock/fingerprint.hpp"

namespace hwlock::cli {
namespace {

struct FingerprintArgs {
  std::string source;
  std::string params = "{}";
  unsigned repeat = 1;
  bool show_bits = false, json = false;
};

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

int run_fingerprint(const FingerprintArgs& a, const FingerprintVerbOptions& o) {
  if (std::find(o.sources.begin(), o.sources.end(), a.source) == o.sources.end()) {
    std::string kinds;
    for (const auto& k : o.sources) kinds += (kinds.empty() ? "" : ", ") + k;
    // The workbench's libtorch source: say where it is rather than that it does not exist.
    if (a.source == "torch")
      return report(fail(Errc::key_source,
                         "the \"torch\" fingerprint source runs libtorch, which only the "
                         "workbench has: use `hwlock-ml fingerprint` (a build with "
                         "HWLOCK_WITH_TORCH)"),
                    a.json);
    return report(fail(Errc::usage, "--source: unknown fingerprint source \"" + a.source +
                                        "\" (known here: " + kinds + ")"),
                  a.json);
  }
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
  const nlohmann::json extra = o.extra ? o.extra() : nlohmann::json::object();
  if (a.json) {
    nlohmann::json out{{"ok", true},
                       {"source", a.source},
                       {"params", (*source)->params()},
                       {"bits", first->bits.size()},
                       {"platform_bits", first->platform.size()},
                       {"fields", fields},
                       {"runs", runs},
                       {"identical_runs", identical}};
    out.update(extra);
    print_json(out);
    return 0;
  }
  std::cout << "source " << a.source << ": " << first->bits.size() << " bits in "
            << first->fields.size() << " fields (+" << first->platform.size()
            << " platform bits read from the CPU)\n";
  for (const auto& [key, value] : extra.items())
    std::cout << "  " << key << ": "
              << (value.is_string() ? value.get<std::string>() : json_text(value, -1)) << "\n";
  for (const auto& r : runs)
    std::cout << "  measurement " << r["measurement_id"].get<std::string>() << "  "
              << r["milliseconds"].get<double>() << " ms, "
              << r["hamming_to_first"].get<std::size_t>() << " bits differ from the first\n";
  std::cout << identical << " of " << runs.size() << " measurements identical\n";
  return 0;
}

}  // namespace

void register_fingerprint(CLI::App& app, Verbs& verbs, FingerprintVerbOptions options) {
  auto args = std::make_shared<FingerprintArgs>();
  args->source = options.default_source;
  std::string kinds;
  for (const auto& k : options.sources) kinds += (kinds.empty() ? "" : " | ") + k;
  auto* sub = app.add_subcommand("fingerprint", options.description);
  // Checked in run_fingerprint, which can point to hwlock-ml for the workbench's sources.
  sub->add_option("--source", args->source, kinds)->capture_default_str();
  sub->add_option("--params", args->params, "Source parameters as a JSON object")
      ->capture_default_str();
  sub->add_option("--repeat", args->repeat, "Measure N times and compare")->capture_default_str();
  sub->add_flag("--show-bits", args->show_bits,
                "Also print the raw bits (sensitive: device keys derive from them)");
  sub->add_flag("--json", args->json, "Print JSON");
  auto opts = std::make_shared<FingerprintVerbOptions>(std::move(options));
  verbs.add(sub, [args, opts] { return run_fingerprint(*args, *opts); });
}

}  // namespace hwlock::cli
