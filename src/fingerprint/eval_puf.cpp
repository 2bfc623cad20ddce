// fingerprint-eval for simulated PUF populations: FRR over fresh reads, FAR over all ordered pairs
// of devices, uniqueness and population min-entropy, and FRR at stress bit-error rates.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "hwlock/fingerprint_eval.hpp"
#include "hwlock/fuzzy.hpp"
#include "hwlock/puf.hpp"

namespace hwlock::fingerprint::eval {
namespace {

constexpr std::string_view kContext = "hwlock/v1/device";  // as device::enroll

struct Device {
  std::unique_ptr<puf::PufProvider> puf;
  BitVector reference;  // majority of the enrollment reads
  fuzzy::HelperData helper;
  std::array<std::byte, 32> key{};
};

Result<std::unique_ptr<puf::PufProvider>> make_puf(const std::string& type,
                                                   std::uint64_t device_seed,
                                                   std::uint64_t noise_seed, double ber) {
  if (type == "sram") {
    puf::SramPufConfig c;
    c.device_seed = device_seed;
    c.noise_seed = noise_seed;
    c.bit_error_rate = ber;
    HWLOCK_ASSIGN(auto sim, puf::SramPufSim::create(c));
    return std::unique_ptr<puf::PufProvider>(std::make_unique<puf::SramPufSim>(std::move(sim)));
  }
  if (type == "arbiter") {
    HWLOCK_ASSIGN(auto sim, puf::ArbiterPufSim::create({device_seed, noise_seed, ber}));
    return std::unique_ptr<puf::PufProvider>(std::make_unique<puf::ArbiterPufSim>(std::move(sim)));
  }
  return fail(Errc::fp_bad_params,
              "fingerprint-eval: PUF type must be sram or arbiter, not \"" + type + "\"");
}

// A device enrolled like device::enroll does for PUFs: majority of `reads`, then the extractor.
Result<Device> enroll_device(const PufEvalOptions& o, const fuzzy::CodeParams& code,
                             std::size_t nbits, std::uint64_t device_seed, double ber) {
  Device d;
  HWLOCK_ASSIGN(d.puf, make_puf(o.type, device_seed, device_seed ^ 0x9e3779b97f4a7c15ULL, ber));
  std::vector<BitVector> reads;
  for (unsigned i = 0; i < o.enroll_reads; ++i) {
    HWLOCK_ASSIGN(auto r, d.puf->respond(0, nbits));
    reads.push_back(std::move(r));
  }
  std::vector<std::span<const std::uint8_t>> spans;
  for (const auto& r : reads) spans.emplace_back(r.bytes());
  HWLOCK_ASSIGN(auto summary, fuzzy::summarize_reads(spans, nbits, 0.25));
  const std::span<const std::uint8_t> ref(
      reinterpret_cast<const std::uint8_t*>(summary.reference.data()), summary.reference.size());
  d.reference = BitVector::from_bytes(ref, nbits);
  fuzzy::EnrollOptions eo;
  eo.params = code;
  eo.context = kContext;
  HWLOCK_ASSIGN(auto e, fuzzy::enroll(ref, nbits, eo));
  d.helper = std::move(e.helper);
  std::memcpy(d.key.data(), e.key.bytes().data(), d.key.size());
  return d;
}

// True iff `read` reproduces `d`'s key (decode failure and tag mismatch are both "no").
bool accepts(const Device& d, const BitVector& read) {
  auto key = fuzzy::reproduce(read.bytes(), read.size(), d.helper, kContext);
  return key && std::memcmp(key->bytes().data(), d.key.data(), d.key.size()) == 0;
}

Result<FrrPoint> frr_point(const PufEvalOptions& o, const fuzzy::CodeParams& code,
                           std::size_t nbits, double ber, std::uint64_t trials, unsigned ndev,
                           std::uint64_t seed_base, std::vector<Device>* reuse) {
  std::vector<Device> own;
  std::vector<Device>& devs = reuse ? *reuse : own;
  for (unsigned i = 0; !reuse && i < ndev; ++i) {
    HWLOCK_ASSIGN(auto d, enroll_device(o, code, nbits, seed_base + i, ber));
    own.push_back(std::move(d));
  }
  ndev = std::min<unsigned>(ndev, static_cast<unsigned>(devs.size()));
  FrrPoint p;
  p.device_ber = ber;
  p.trials = trials;
  double errors = 0;
  const std::string label = "puf FRR at BER " + std::to_string(ber).substr(0, 5);
  for (std::uint64_t t = 0; t < trials; ++t) {
    if (o.progress && t % 1000 == 0) o.progress(label, t, trials);
    Device& d = devs[t % ndev];
    HWLOCK_ASSIGN(auto read, d.puf->respond(0, nbits));
    const double e = fractional_hamming_distance(read, d.reference);
    errors += e;
    p.max_read_ber = std::max(p.max_read_ber, e);
    p.failures += accepts(d, read) ? 0 : 1;
  }
  if (o.progress) o.progress(label, trials, trials);
  p.measured_ber = trials ? errors / static_cast<double>(trials) : 0;
  HWLOCK_ASSIGN(auto nominal, fuzzy::analyze_failure(code, ber));
  HWLOCK_ASSIGN(auto measured, fuzzy::analyze_failure(code, std::min(0.5, p.measured_ber)));
  p.analytic_nominal = nominal.key_failure;
  p.analytic_measured = measured.key_failure;
  return p;
}

// E[−log2 max(p̂, 1 − p̂)] for p̂ = k / n, k ~ Binomial(n, 1/2): the per-bit min-entropy that
// estimating from n devices reports for a perfectly unbiased bit.
double unbiased_bit_estimate(unsigned n) {
  const double nn = static_cast<double>(n);
  double e = 0;
  for (unsigned k = 0; k <= n; ++k) {
    const double kk = static_cast<double>(k);
    const double ln_pk =
        std::lgamma(nn + 1) - std::lgamma(kk + 1) - std::lgamma(nn - kk + 1) - nn * std::log(2.0);
    e += std::exp(ln_pk) * -std::log2(std::max(kk, nn - kk) / nn);
  }
  return e;
}

}  // namespace

Result<PufResult> evaluate_puf(const PufEvalOptions& o) {
  if (o.devices < 2) return fail(Errc::fp_bad_params, "fingerprint-eval: --devices must be >= 2");
  if (o.enroll_reads == 0) return fail(Errc::fp_bad_params, "fingerprint-eval: no enroll reads");
  fuzzy::SelectionOptions so;
  so.ber = o.ber;
  HWLOCK_ASSIGN(const auto sel, fuzzy::select_params(so));
  HWLOCK_ASSIGN(const auto dims, fuzzy::bch_dimensions(sel.params.bch_m, sel.params.bch_t));
  PufResult r;
  r.type = o.type;
  r.ber = o.ber;
  r.devices = o.devices;
  r.code = "BCH(" + std::to_string(dims.n) + "," + std::to_string(dims.k) + "," +
           std::to_string(dims.t) + ") r=" + std::to_string(sel.params.repetition) + " x" +
           std::to_string(sel.params.blocks);
  r.response_bits = sel.response_bits;
  r.secret_bits = sel.secret_bits;
  const std::size_t nbits = sel.response_bits;

  std::vector<Device> devs;
  for (unsigned i = 0; i < o.devices; ++i) {
    if (o.progress && i % 50 == 0) o.progress("puf enroll", i, o.devices);
    HWLOCK_ASSIGN(auto d, enroll_device(o, sel.params, nbits, o.seed * 1000003 + i, o.ber));
    devs.push_back(std::move(d));
  }
  // Uniqueness and population bias, from the enrollment references.
  std::vector<BitVector> refs;
  for (const auto& d : devs) refs.push_back(d.reference);
  r.inter_device = pairwise_distances(refs);
  std::vector<double> ones(nbits, 0.0);
  for (const auto& ref : refs)
    for (std::size_t b = 0; b < nbits; ++b) ones[b] += ref.get(b) ? 1.0 : 0.0;
  for (auto& v : ones) v /= static_cast<double>(refs.size());
  HWLOCK_ASSIGN(auto ent, fuzzy::entropy_report(sel.params, ones, {}));
  r.population_min_entropy = ent.min_entropy_bits;
  r.residual_bits = ent.residual_bits;
  r.leak_bits = ent.leak_bits;
  r.ideal_population_min_entropy = static_cast<double>(nbits) * unbiased_bit_estimate(o.devices);

  // FAR: every device's fresh read against every other device's helper data.
  std::vector<BitVector> reads;
  for (auto& d : devs) {
    HWLOCK_ASSIGN(auto read, d.puf->respond(0, nbits));
    reads.push_back(std::move(read));
  }
  for (std::size_t i = 0; i < devs.size(); ++i) {
    if (o.progress && i % 10 == 0) o.progress("puf FAR", i, devs.size());
    for (std::size_t j = 0; j < devs.size(); ++j) {
      if (i == j) continue;
      ++r.far_pairs;
      r.far_accepts += accepts(devs[i], reads[j]) ? 1 : 0;
    }
  }
  if (o.progress) o.progress("puf FAR", devs.size(), devs.size());

  const unsigned ndev = std::max(1u, std::min(o.frr_devices, o.devices));
  HWLOCK_ASSIGN(r.frr, frr_point(o, sel.params, nbits, o.ber, o.frr_trials, ndev, 0, &devs));
  for (std::size_t s = 0; s < o.stress_bers.size(); ++s) {
    HWLOCK_ASSIGN(auto p,
                  frr_point(o, sel.params, nbits, o.stress_bers[s], o.stress_trials,
                            std::min(ndev, 20u), (o.seed + s + 1) * 7919 * 1000003, nullptr));
    r.stress.push_back(p);
  }
  return r;
}

}  // namespace hwlock::fingerprint::eval
