// The "timing" source: latency ratios of dependent chains to the add chain. Every round times each
// chain once (interleaved, so frequency changes hit all chains alike); the minimum over rounds is
// kept (best-of-k rejects preemption and interrupts from load on other cores). Ratios cancel the
// clock's frequency: TSC ticks and core cycles differ, their ratio does not matter.
#include <chrono>
#include <cmath>
#include <limits>

#include "fingerprint/numeric_probes.hpp"
#include "fingerprint/sources.hpp"
#include "fingerprint/timing.hpp"

namespace hwlock::fingerprint {
namespace {

class TimingSource final : public FingerprintSource {
 public:
  explicit TimingSource(TimingParams p) : p_(std::move(p)) {}
  std::string_view kind() const override { return "timing"; }
  nlohmann::json params() const override {
    return {{"rounds", p_.rounds},
            {"min_rounds", p_.min_rounds},
            {"budget_ms", p_.budget_ms},
            {"bins_per_octave", p_.bins_per_octave},
            {"bits_per_ratio", p_.bits_per_ratio},
            {"offsets", p_.offsets}};
  }
  Result<Measurement> measure() override;

 private:
  TimingParams p_;
};

Result<Measurement> TimingSource::measure() {
  using Clock = std::chrono::steady_clock;
  const auto chains = detail::timing_chains();
  std::vector<std::uint64_t> best(chains.size(), std::numeric_limits<std::uint64_t>::max());
  const detail::FpEnvGuard env;  // denormal operands must not be flushed (no FTZ/DAZ)
  for (const auto& c : chains) (void)c.run(c.ops);  // warm-up: caches, page faults, clock ramp
  const auto start = Clock::now();
  const auto budget = std::chrono::duration<double, std::milli>(p_.budget_ms);
  unsigned done = 0;
  while (done < p_.rounds) {
    for (std::size_t i = 0; i < chains.size(); ++i)
      best[i] = std::min(best[i], chains[i].run(chains[i].ops));
    ++done;
    const auto elapsed = Clock::now() - start;
    if (elapsed > budget && done >= p_.min_rounds) break;
    if (elapsed > 1.25 * budget)  // hard cap: the default 200 ms budget never exceeds 250 ms
      return fail(Errc::fp_unavailable, "timing source: only " + std::to_string(done) + " of " +
                                            std::to_string(p_.min_rounds) +
                                            " rounds fit in 1.25 x " +
                                            std::to_string(p_.budget_ms) + " ms");
  }
  const double base = static_cast<double>(best[0]) / static_cast<double>(chains[0].ops);
  if (!(base > 0))
    return fail(Errc::fp_unavailable,
                "timing source: the clock did not advance over the add chain");

  Measurement m;
  m.kind = "timing";
  for (std::size_t i = 1; i < chains.size(); ++i) {
    const double per_op = static_cast<double>(best[i]) / static_cast<double>(chains[i].ops);
    const double ratio = per_op / base;
    const double offset = p_.offsets.empty() ? 0.0 : p_.offsets[i - 1];
    const std::uint64_t bin =
        detail::timing_bin(ratio, p_.bins_per_octave, p_.bits_per_ratio, offset);
    m.fields.push_back(
        Field{std::string("timing.") + chains[i].name, m.bits.size(), p_.bits_per_ratio});
    m.bits.append_bits(gray_encode(bin), p_.bits_per_ratio);
    m.raw.push_back(ratio);
  }
  return m;
}

}  // namespace

std::span<const std::string_view> timing_ratio_names() noexcept {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const auto& c : detail::timing_chains().subspan(1))
      v.emplace_back(c.name);  // skip the base
    return v;
  }();
  return names;
}

Result<std::unique_ptr<FingerprintSource>> make_timing_source(const TimingParams& p) {
  const auto bad = [](const std::string& why) {
    return fail(Errc::fp_bad_params, "timing source: " + why);
  };
  if (p.rounds < 1 || p.rounds > 10000) return bad("rounds must be in [1, 10000]");
  if (p.min_rounds < 1 || p.min_rounds > p.rounds) return bad("min_rounds must be in [1, rounds]");
  if (!(p.budget_ms > 0 && p.budget_ms <= 60000)) return bad("budget_ms must be in (0, 60000]");
  if (p.bins_per_octave < 1 || p.bins_per_octave > 64)
    return bad("bins_per_octave must be in [1, 64]");
  if (p.bits_per_ratio < 1 || p.bits_per_ratio > 16)
    return bad("bits_per_ratio must be in [1, 16]");
  const std::size_t nratios = timing_ratio_names().size();
  if (!p.offsets.empty() && p.offsets.size() != nratios)
    return bad("offsets must be empty or hold one value per ratio (" + std::to_string(nratios) +
               ")");
  for (double o : p.offsets)
    if (!(o >= -0.5 && o < 0.5)) return bad("offsets must be in [-0.5, 0.5)");
  return std::unique_ptr<FingerprintSource>(std::make_unique<TimingSource>(p));
}

namespace detail {
Result<SourcePtr> make_timing_from_params(const nlohmann::json& j) {
  constexpr std::string_view k = "timing";
  HWLOCK_TRY(check_params(
      k, j, {"rounds", "min_rounds", "budget_ms", "bins_per_octave", "bits_per_ratio", "offsets"}));
  TimingParams p;
  HWLOCK_ASSIGN(const auto rounds, param_u64(k, j, "rounds", p.rounds, 1, 10000));
  HWLOCK_ASSIGN(const auto min_rounds, param_u64(k, j, "min_rounds", p.min_rounds, 1, 10000));
  HWLOCK_ASSIGN(p.budget_ms, param_double(k, j, "budget_ms", p.budget_ms, 1e-3, 60000));
  HWLOCK_ASSIGN(const auto bpo, param_u64(k, j, "bins_per_octave", p.bins_per_octave, 1, 64));
  HWLOCK_ASSIGN(const auto bits, param_u64(k, j, "bits_per_ratio", p.bits_per_ratio, 1, 16));
  p.rounds = static_cast<unsigned>(rounds);
  p.min_rounds = static_cast<unsigned>(min_rounds);
  p.bins_per_octave = static_cast<unsigned>(bpo);
  p.bits_per_ratio = static_cast<unsigned>(bits);
  if (j.is_object() && j.contains("offsets")) {
    const auto& o = j.at("offsets");
    if (!o.is_array()) return fail(Errc::fp_bad_params, "timing source: offsets must be an array");
    for (const auto& v : o) {
      if (!v.is_number())
        return fail(Errc::fp_bad_params, "timing source: offsets must be numbers");
      p.offsets.push_back(v.get<double>());
    }
  }
  return make_timing_source(p);
}
}  // namespace detail

}  // namespace hwlock::fingerprint
