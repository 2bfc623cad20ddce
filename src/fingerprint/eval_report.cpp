// fingerprint-eval reports: JSON (everything measured, no fingerprint bits) and Markdown (tables
// plus the bars, each marked met / not met / not evaluated).
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "hwlock/fingerprint_eval.hpp"

namespace hwlock::fingerprint::eval {
namespace {

using nlohmann::json;

bool is_emulator(const std::string& env) {
  return env.rfind("qemu", 0) == 0 || env.rfind("valgrind", 0) == 0;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string rate(std::size_t k, std::size_t n) {
  if (n == 0) return "n/a";
  return fmt("%.3g", static_cast<double>(k) / static_cast<double>(n));
}

std::string stats_md(const DistanceStats& s) {
  if (s.pairs == 0) return "—";
  return fmt("%.4f", s.min) + " / " + fmt("%.4f", s.mean) + " / " + fmt("%.4f", s.max);
}

json stats_json(const DistanceStats& s) {
  return {{"pairs", s.pairs}, {"min", s.min}, {"mean", s.mean}, {"max", s.max}};
}

json frr_json(const FrrPoint& p) {
  return {{"device_ber", p.device_ber},
          {"trials", p.trials},
          {"failures", p.failures},
          {"frr", p.trials ? static_cast<double>(p.failures) / static_cast<double>(p.trials) : 0},
          {"frr_upper_95", upper_bound_95(p.failures, p.trials)},
          {"measured_ber", p.measured_ber},
          {"max_read_ber", p.max_read_ber},
          {"analytic_at_device_ber", p.analytic_nominal},
          {"analytic_at_measured_ber", p.analytic_measured}};
}

std::size_t measured(const EnvironmentResult& e) {
  return e.runs - e.failed_runs;
}

// The bar for one process source, or "" when the source has none.
std::string process_bar(const ProcessSourceResult& s) {
  if (s.source != "numeric" && s.source != "timing") return "";
  const auto& n = s.environments.front();
  std::ostringstream o;
  const bool numeric = s.source == "numeric";
  const std::size_t need = 100;
  const bool native_ok =
      s.enrolled &&
      (numeric ? n.key_matches == n.runs : static_cast<double>(n.key_matches) >= 0.99 * n.runs);
  o << "- **" << s.source << "**: key "
    << (numeric ? "identical across >= 100 native processes"
                : "reproduced in >= 99 % of native runs")
    << ": " << n.key_matches << " / " << n.runs << " → "
    << (n.runs < need ? (native_ok ? "not evaluated (fewer than 100 runs; all so far reproduce)"
                                   : "**not met**")
                      : (native_ok ? "**met**" : "**not met**"));
  o << "; " << (numeric ? "different in every other environment" : "never under an emulator")
    << ": ";
  std::size_t others = 0, accepted = 0;
  std::string skipped;
  for (std::size_t i = 1; i < s.environments.size(); ++i) {
    const auto& e = s.environments[i];
    if (!numeric && !is_emulator(e.name)) continue;
    if (!e.skip.empty()) {
      skipped += (skipped.empty() ? "" : ", ") + e.name;
      continue;
    }
    ++others;
    accepted += e.key_matches;
  }
  o << accepted << " accepted in " << others << " environments → "
    << (!s.enrolled || others == 0 ? "not evaluated"
        : accepted == 0            ? "**met**"
                                   : "**not met**");
  if (!skipped.empty()) o << " (not run: " << skipped << ")";
  o << "\n";
  return o.str();
}

}  // namespace

json to_json(const Report& r) {
  json sources = json::array();
  for (const auto& s : r.sources) {
    json envs = json::array();
    for (const auto& e : s.environments) {
      if (!e.skip.empty()) {
        envs.push_back({{"name", e.name}, {"skipped", e.skip}});
        continue;
      }
      json j{{"name", e.name},
             {"runs", e.runs},
             {"failed_runs", e.failed_runs},
             {"bits", e.bits},
             {"intra_distance", stats_json(e.intra)},
             {"distance_to_native", stats_json(e.to_native)},
             {"distinct", e.distinct},
             {"key_matches", e.key_matches},
             {"key_checked", measured(e)}};
      if (!e.first_error.empty()) j["first_error"] = e.first_error;
      if (&e == &s.environments.front())
        j["frr"] = s.enrolled && e.runs ? 1.0 - static_cast<double>(e.key_matches) / e.runs : 1.0;
      else
        j["far"] = measured(e)
                       ? static_cast<double>(e.key_matches) / static_cast<double>(measured(e))
                       : 0.0;
      envs.push_back(j);
    }
    sources.push_back({{"source", s.source},
                       {"enrolled", s.enrolled},
                       {"enroll_error", s.enroll_error},
                       {"enroll_runs", s.enroll_runs},
                       {"extractor", s.extractor},
                       {"bits", s.bits},
                       {"reliable_bits", s.reliable_bits},
                       {"native_noise_min_entropy_bits", s.native_noise_min_entropy},
                       {"distinct_across_environments", s.distinct_across_environments},
                       {"environments", envs}});
  }
  json out{{"command", r.command}, {"sources", sources}, {"notes", r.notes}};
  if (r.puf) {
    const auto& p = *r.puf;
    json stress = json::array();
    for (const auto& s : p.stress) stress.push_back(frr_json(s));
    out["puf"] = {{"type", p.type},
                  {"ber", p.ber},
                  {"devices", p.devices},
                  {"code", p.code},
                  {"response_bits", p.response_bits},
                  {"secret_bits", p.secret_bits},
                  {"frr", frr_json(p.frr)},
                  {"stress", stress},
                  {"far_pairs", p.far_pairs},
                  {"far_accepts", p.far_accepts},
                  {"inter_device_distance", stats_json(p.inter_device)},
                  {"population_min_entropy_bits", p.population_min_entropy},
                  {"ideal_population_min_entropy_bits", p.ideal_population_min_entropy},
                  {"leak_bits", p.leak_bits},
                  {"residual_bits", p.residual_bits}};
  }
  return out;
}

std::string to_markdown(const Report& r) {
  std::ostringstream o;
  o << "Command: `" << r.command << "`\n\n";
  o << "Hamming distances are fractional (differing bits / length), min / mean / max over all "
       "pairs.\n\n";
  for (const auto& s : r.sources) {
    o << "### " << s.source << "\n\n";
    if (s.enrolled)
      o << s.bits << " bits; enrolled (" << s.extractor << ") from " << s.enroll_runs
        << " native processes, " << s.reliable_bits << " bits kept as reliable.\n\n";
    else
      o << "Not enrolled: " << s.enroll_error << "\n\n";
    o << "| environment | processes (failed) | intra distance | distance to native | distinct | "
         "key reproduced | rate |\n|---|---|---|---|---|---|---|\n";
    for (const auto& e : s.environments) {
      if (!e.skip.empty()) {
        o << "| " << e.name << " | skipped: " << e.skip << " | | | | | |\n";
        continue;
      }
      const bool native = &e == &s.environments.front();
      o << "| " << e.name << " | " << e.runs << " (" << e.failed_runs << ") | " << stats_md(e.intra)
        << " | " << (native ? "—" : stats_md(e.to_native)) << " | " << e.distinct << " | "
        << e.key_matches << " / " << e.runs << " | "
        << (native ? "FRR " + rate(e.runs - e.key_matches, e.runs)
                   : "FAR " + rate(e.key_matches, measured(e)))
        << " |\n";
    }
    for (const auto& e : s.environments)
      if (!e.first_error.empty()) o << "\n" << e.name << ": first failure: " << e.first_error;
    o << "\nEntropy: " << s.distinct_across_environments
      << " distinct fingerprints across all runs of all environments (all this machine can "
         "show about identity); re-read noise over the native runs: "
      << fmt("%.2f", s.native_noise_min_entropy) << " bits of per-bit min-entropy.\n\n";
  }
  if (r.puf) {
    const auto& p = *r.puf;
    o << "### puf-sim (" << p.type << ", BER " << fmt("%.3g", p.ber * 100) << " %, " << p.devices
      << " devices)\n\n";
    o << "Code " << p.code << ": " << p.response_bits << " response bits, " << p.secret_bits
      << " secret bits. Single reads, no retry (device unlock retries up to 5 reads).\n\n";
    o << "| device BER | trials | failures | measured FRR (95 % upper) | measured read BER mean / "
         "max | analytic FRR at device BER | at measured BER |\n|---|---|---|---|---|---|---|\n";
    std::vector<FrrPoint> points{p.frr};
    points.insert(points.end(), p.stress.begin(), p.stress.end());
    for (const auto& f : points)
      o << "| " << fmt("%.3g", f.device_ber) << " | " << f.trials << " | " << f.failures << " | "
        << rate(f.failures, f.trials) << " (" << fmt("%.2g", upper_bound_95(f.failures, f.trials))
        << ") | " << fmt("%.4f", f.measured_ber) << " / " << fmt("%.4f", f.max_read_ber) << " | "
        << fmt("%.2g", f.analytic_nominal) << " | " << fmt("%.2g", f.analytic_measured) << " |\n";
    o << "\nFAR: " << p.far_accepts << " of " << p.far_pairs
      << " ordered pairs (device i's helper data, device j's read) reproduced device i's key.\n"
      << "Inter-device distance between enrollment references: " << stats_md(p.inter_device)
      << ". Population per-bit min-entropy (independent-bits model, " << p.devices
      << " devices): " << fmt("%.1f", p.population_min_entropy) << " bits of " << p.response_bits
      << "; helper data leaks <= " << p.leak_bits
      << "; residual >= " << fmt("%.1f", p.residual_bits)
      << " bits. (The estimator is biased low by sampling: perfectly unbiased bits would give "
      << fmt("%.1f", p.ideal_population_min_entropy) << " bits with this many devices.)\n\n";
  }
  o << "### Bars\n\n";
  for (const auto& s : r.sources) o << process_bar(s);
  if (r.puf) {
    const auto& p = *r.puf;
    // The bound is taken at the worse of the nominal and the measured read BER (enrollment from a
    // majority of reads leaves the reference slightly off the noise-free one).
    const double bound = std::max(p.frr.analytic_nominal, p.frr.analytic_measured);
    o << "- **puf-sim**: FRR <= 1e-6 at " << fmt("%.3g", p.ber * 100) << " % BER: analytic "
      << fmt("%.2g", bound) << " (at the measured read BER " << fmt("%.4f", p.frr.measured_ber)
      << "), simulated " << p.frr.failures << " / " << p.frr.trials << " failures";
    if (!p.stress.empty()) {
      o << "; simulated / analytic FRR at stress BERs:";
      for (const auto& s : p.stress)
        o << " " << fmt("%.3g", s.device_ber) << ": "
          << (s.analytic_measured > 0 && s.trials
                  ? fmt("%.2f", static_cast<double>(s.failures) / static_cast<double>(s.trials) /
                                    s.analytic_measured)
                  : std::string("n/a"));
    }
    o << " → "
      << (bound <= 1e-6 && p.frr.failures == 0 ? "**met** (bounded analytically; simulation agrees)"
                                               : "**not met**")
      << "; FAR 0 across " << p.devices << " devices: " << p.far_accepts << " / " << p.far_pairs
      << " → "
      << (p.far_accepts != 0  ? "**not met**"
          : p.devices >= 1000 ? "**met**"
                              : "not evaluated "
                                "(fewer than 1000 "
                                "devices)")
      << "\n";
  }
  for (const auto& n : r.notes) o << "\nNote: " << n;
  if (!r.notes.empty()) o << "\n";
  return o.str();
}

}  // namespace hwlock::fingerprint::eval
