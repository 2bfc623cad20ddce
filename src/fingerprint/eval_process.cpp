// fingerprint-eval for process sources: measure in separate processes per environment, enroll from
// native runs with the real device enrollment, and check every other run against it.
#include "hwlock/device.hpp"
#include "hwlock/fingerprint_eval.hpp"

namespace hwlock::fingerprint::eval {
namespace {

// While alive, make_source(kind) measures `runs[0]`, `runs[1]`, ... (the last one repeated).
class Replay {
 public:
  Replay(const std::string& kind, std::span<const BitVector> runs)
      : guard_(kind,
               [kind, runs](const nlohmann::json&) -> Result<std::unique_ptr<FingerprintSource>> {
                 auto fn = [kind, runs](std::size_t call) -> Result<Measurement> {
                   Measurement m;
                   m.kind = kind;
                   m.bits = runs[std::min(call, runs.size() - 1)];
                   m.fields.push_back(Field{kind + ".replayed", 0, m.bits.size()});
                   return m;
                 };
                 return std::unique_ptr<FingerprintSource>(std::make_unique<FakeSource>(kind, fn));
               }) {}

 private:
  ScopedSourceFactory guard_;
};

struct Measured {
  unsigned runs = 0, failed = 0;
  std::string first_error;
  std::vector<BitVector> bits;
};

Measured measure_in(const Environment& env, const std::string& source, unsigned count,
                    const ProcessEvalOptions& o, const std::string& label) {
  Measured m;
  std::vector<std::string> argv = env.prefix;
  argv.insert(argv.end(),
              {env.program, "fingerprint", "--source", source, "--json", "--show-bits"});
  for (unsigned i = 0; i < count; ++i) {
    if (o.progress) o.progress(label, i, count);
    ++m.runs;
    auto child = run_child(argv, env.env, o.timeout_s);
    Result<BitVector> bits = child ? parse_fingerprint_json(child->out, source + " in " + env.name)
                                   : Result<BitVector>(child.error());
    if (bits && child->exit_code != 0)
      bits = fail(Errc::key_source,
                  source + " in " + env.name + ": exit code " + std::to_string(child->exit_code));
    if (!bits) {
      ++m.failed;
      if (m.first_error.empty()) {
        m.first_error = bits.error().message;
        if (child && child->out.empty() && !child->err.empty())
          m.first_error += ": " + child->err.substr(0, 300);
      }
      continue;
    }
    m.bits.push_back(std::move(bits).value());
  }
  if (o.progress) o.progress(label, count, count);
  return m;
}

}  // namespace

Result<nlohmann::json> enroll_from_runs(const std::string& kind, std::span<const BitVector> runs) {
  if (runs.empty()) return fail(Errc::usage, "enroll_from_runs: no runs");
  const Replay replay(kind, runs);
  device::EnrollOptions eo;
  eo.source = kind;
  eo.measurements = static_cast<unsigned>(runs.size());
  HWLOCK_ASSIGN(auto enrolled, device::enroll(eo));
  return std::move(enrolled.record);
}

bool reproduces(const nlohmann::json& record, const BitVector& bits) {
  const std::string kind = record["source"]["kind"].get<std::string>();
  const Replay replay(kind, std::span(&bits, 1));
  return device::reproduce_private_key(record).ok();
}

Result<ProcessSourceResult> evaluate_process_source(const ProcessEvalOptions& o) {
  if (o.environments.empty() || !o.environments.front().skip.empty())
    return fail(Errc::usage, "fingerprint-eval: the native environment is required");
  ProcessSourceResult r;
  r.source = o.source;
  r.enroll_runs = o.enroll_runs;
  const Environment& native = o.environments.front();
  Measured enroll = measure_in(native, o.source, o.enroll_runs, o, native.name + " (enrollment)");
  nlohmann::json record;
  if (enroll.failed) {
    r.enroll_error = "enrollment: " + std::to_string(enroll.failed) + " of " +
                     std::to_string(enroll.runs) + " native runs failed: " + enroll.first_error;
  } else {
    auto rec = enroll_from_runs(o.source, enroll.bits);
    if (rec) {
      record = std::move(rec).value();
      r.enrolled = true;
      r.extractor = record.value("extractor", "");
      r.bits = record.value("bits", std::size_t{0});
      r.reliable_bits = record.value("reliable_bits", std::size_t{0});
    } else if (rec.error().code == Errc::key_source) {
      r.enroll_error = rec.error().message;  // e.g. numeric not bit-exact across processes
    } else {
      return rec.error();
    }
  }
  std::vector<BitVector> all = enroll.bits, native_all = enroll.bits;
  const std::vector<BitVector>* native_tests = nullptr;
  for (const Environment& env : o.environments) {
    EnvironmentResult e;
    e.name = env.name;
    e.skip = env.skip;
    if (!env.skip.empty()) {
      r.environments.push_back(std::move(e));
      continue;
    }
    Measured m = measure_in(env, o.source, o.runs, o, env.name);
    e.runs = m.runs;
    e.failed_runs = m.failed;
    e.first_error = m.first_error;
    e.bits = m.bits.empty() ? 0 : m.bits.front().size();
    e.intra = pairwise_distances(m.bits);
    e.distinct = distinct_count(m.bits);
    if (r.enrolled)
      for (const auto& b : m.bits) e.key_matches += reproduces(record, b) ? 1 : 0;
    all.insert(all.end(), m.bits.begin(), m.bits.end());
    e.measured = std::move(m.bits);
    if (native_tests == nullptr) {
      native_all.insert(native_all.end(), e.measured.begin(), e.measured.end());
      r.environments.push_back(std::move(e));
      native_tests = &r.environments.front().measured;
      if (r.bits == 0 && !native_tests->empty()) r.bits = native_tests->front().size();
      continue;
    }
    e.to_native = cross_distances(e.measured, *native_tests);
    r.environments.push_back(std::move(e));
    native_tests = &r.environments.front().measured;  // the vector may have moved
  }
  bool one_length = !native_all.empty();
  for (const auto& b : native_all) one_length &= b.size() == native_all.front().size();
  r.native_noise_min_entropy = one_length ? per_bit_min_entropy(native_all) : 0.0;
  r.distinct_across_environments = distinct_count(all);
  return r;
}

}  // namespace hwlock::fingerprint::eval
