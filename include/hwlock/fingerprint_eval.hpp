// hwlock/fingerprint_eval.hpp — how well each fingerprint source identifies this machine.
//
// `hwlock fingerprint-eval` is built on this header. Two kinds of evaluation:
//
// Process sources (numeric, timing, torch): every measurement is a SEPARATE PROCESS, a fingerprint
// program (`hwlock fingerprint --source S --json --show-bits`, or anything printing the same JSON)
// started in an Environment: natively, under an emulator (qemu-x86_64, valgrind, qemu-aarch64 with
// a cross-built program) or with extra environment variables (ATEN_CPU_CAPABILITY=avx2). The
// device key is derived exactly as `hwlock enroll` does (device::enroll with the source's
// extractor), from the first `enroll_runs` native processes, and each later run, native or not, is
// checked with device::reproduce_private_key. Native runs whose key differs count toward the FRR;
// runs elsewhere whose key matches count toward the FAR. A run that fails to measure (non-zero
// exit, `"ok": false`) reproduces nothing and is counted separately.
//
// PUF populations (puf-sim): simulated devices in-process. Each device is enrolled like
// device::enroll does for PUFs (majority of 15 reads, code-offset fuzzy extractor), with the code
// fuzzy::select_params picks for the bit-error rate; FRR = fraction of fresh single reads that do
// not reproduce the key, FAR = fraction of (enrolled device, other device's read) pairs that do.
// Optional stress points re-run the FRR with noisier devices under the same code, where failures
// are frequent enough to compare with fuzzy::analyze_failure.
//
// Entropy figures estimate different things, and say so: for process sources, the per-bit
// min-entropy over repeated native reads measures read NOISE (0 for a noise-free source), and
// the number of distinct fingerprints across environments is all this one machine can say about
// identity; for PUFs, the per-bit population bias over the simulated devices (fuzzy::
// entropy_report, assuming independent bits).
//
// WARNING: evaluation of process sources temporarily replaces make_source(kind) with a replay
// source (ScopedSourceFactory); do not measure that kind on other threads meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/fingerprint.hpp"

namespace hwlock::fingerprint::eval {

// ---------------------------------------------------------------------------------------------
// Statistics over bit vectors of one length (vectors of another length are ignored, see pairs).

// Fractional Hamming distances over a set of pairs; all zero when pairs == 0.
struct DistanceStats {
  std::size_t pairs = 0;
  double min = 0, mean = 0, max = 0;
};
// All unordered pairs within `runs` (pairs of different lengths are skipped).
DistanceStats pairwise_distances(std::span<const BitVector> runs);
// All pairs (a_i, b_j) of equal length.
DistanceStats cross_distances(std::span<const BitVector> a, std::span<const BitVector> b);
// Σ over bits of −log2 max(p_i, 1 − p_i), p_i = fraction of runs with bit i set: the min-entropy
// of re-read noise under an independent-bits model (0 when all runs are identical). Runs must have
// one length (asserted); 0 for no runs.
double per_bit_min_entropy(std::span<const BitVector> runs);
// Number of distinct vectors.
std::size_t distinct_count(std::span<const BitVector> runs);
// One-sided 95 % upper confidence bound of a rate after `failures` in `trials` (Clopper–Pearson;
// 1 − 0.05^(1/n) for zero failures). 1 for no trials.
double upper_bound_95(std::size_t failures, std::size_t trials);

// ---------------------------------------------------------------------------------------------
// Child processes.

struct ChildResult {
  int exit_code = 0;  // the child's exit status; 128 + signal when killed
  std::string out;    // stdout
  std::string err;    // stderr (last 4 KiB)
};
// Runs argv (argv[0] a path, not searched in PATH) with the current environment plus `env_add`
// ("NAME=value", overriding), stdin from /dev/null, and waits. Kills it after timeout_s.
// Errors: io_open (cannot start it: the message names the program and the OS reason).
Result<ChildResult> run_child(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env_add, double timeout_s);
// The full path of `name` found in $PATH (or `name` itself if it contains '/' and is executable).
std::optional<std::string> find_program(std::string_view name);
// Bits of the first run in `hwlock fingerprint --json --show-bits` output. Errors: key_source
// naming `origin`: not JSON, "ok": false (the child's message is quoted), or no runs[0].bits_hex.
Result<BitVector> parse_fingerprint_json(std::string_view text, std::string_view origin);

// ---------------------------------------------------------------------------------------------
// Process sources.

struct Environment {
  std::string name;                 // "native", "qemu-x86_64", "ATEN_CPU_CAPABILITY=avx2", ...
  std::vector<std::string> prefix;  // argv before the program (an emulator and its options)
  std::string program;              // the fingerprint program (absolute path)
  std::vector<std::string> env;     // "NAME=value" added to the child's environment
  std::string skip;                 // non-empty: not run, and why (tool or binary missing)
};

struct ProcessEvalOptions {
  std::string source = "numeric";  // passed as --source; also the device record's kind
  unsigned runs = 20;              // test processes per environment
  unsigned enroll_runs = 5;        // extra native processes enrolled from (device default: 5/31)
  double timeout_s = 300;          // per child process
  std::vector<Environment> environments;  // the first must be the native one
  // Progress: (environment, runs done, runs total); may be empty.
  std::function<void(const std::string&, unsigned, unsigned)> progress;
};

struct EnvironmentResult {
  std::string name;
  std::string skip;                 // why it was not run (then nothing else is set)
  unsigned runs = 0;                // processes started
  unsigned failed_runs = 0;         // processes that did not measure
  std::string first_error;          // the first failure's message
  std::size_t bits = 0;             // fingerprint length (0 if no run measured)
  DistanceStats intra;              // between this environment's runs
  DistanceStats to_native;          // between its runs and the native test runs
  unsigned key_matches = 0;         // measured runs whose key == the enrolled key
  std::size_t distinct = 0;         // distinct fingerprints among its runs
  std::vector<BitVector> measured;  // the runs' bits (not printed: keys derive from them)
};

struct ProcessSourceResult {
  std::string source;
  bool enrolled = false;
  std::string enroll_error;       // why enrollment failed
  std::string extractor;          // from the device record
  std::size_t bits = 0;           // fingerprint length
  std::size_t reliable_bits = 0;  // bits the enrollment kept (never flipped over enroll_runs)
  unsigned enroll_runs = 0;
  std::vector<EnvironmentResult> environments;   // [0] = native (test runs only)
  double native_noise_min_entropy = 0;           // per_bit_min_entropy over all native runs
  std::size_t distinct_across_environments = 0;  // distinct fingerprints, all measured runs
};

// Errors: usage (no environments, or the first is skipped), and those of device::enroll other
// than an unstable source (reported in enroll_error instead).
Result<ProcessSourceResult> evaluate_process_source(const ProcessEvalOptions& options);

// Enrolls a device record from already-measured runs of `kind` (device::enroll replaying them)
// and checks whether one measurement reproduces its key (device::reproduce_private_key).
Result<nlohmann::json> enroll_from_runs(const std::string& kind, std::span<const BitVector> runs);
bool reproduces(const nlohmann::json& record, const BitVector& bits);

// ---------------------------------------------------------------------------------------------
// Simulated PUF populations.

struct PufEvalOptions {
  std::string type = "sram";   // "sram" | "arbiter" (hwlock/puf.hpp)
  double ber = 0.15;           // device bit-error rate; the code is select_params' choice for it
  unsigned devices = 1000;     // population for FAR (all ordered pairs) and uniqueness
  unsigned frr_devices = 100;  // devices the FRR trials rotate over (≤ devices)
  std::uint64_t frr_trials = 20000;
  std::vector<double> stress_bers = {0.20, 0.22, 0.25};  // FRR under the same code, noisier
  std::uint64_t stress_trials = 2000;                    // per stress point
  unsigned enroll_reads = 15;                            // as device::enroll
  std::uint64_t seed = 1;
  std::function<void(const std::string&, std::uint64_t, std::uint64_t)> progress;
};

struct FrrPoint {
  double device_ber = 0;  // the simulators' bit_error_rate
  std::uint64_t trials = 0, failures = 0;
  double measured_ber = 0;       // mean fraction of bits differing from the enrolled reference
  double max_read_ber = 0;       // worst single read
  double analytic_nominal = 0;   // fuzzy::analyze_failure at device_ber
  double analytic_measured = 0;  // ... at measured_ber
};

struct PufResult {
  std::string type;
  double ber = 0;
  unsigned devices = 0;
  std::string code;  // "BCH(255,131,18) r=7 x1"
  std::size_t response_bits = 0, secret_bits = 0;
  FrrPoint frr;                  // at `ber`
  std::vector<FrrPoint> stress;  // at stress_bers, same code
  std::uint64_t far_pairs = 0, far_accepts = 0;
  DistanceStats inter_device;  // between enrollment references
  double population_min_entropy = 0, residual_bits = 0;
  // What the same estimator gives, in expectation, for perfectly unbiased independent bits and
  // this many devices: the estimate's own downward bias from sampling (compare the two).
  double ideal_population_min_entropy = 0;
  std::size_t leak_bits = 0;
};

// Errors: fp_bad_params (type, ber, devices < 2), fuzzy_bad_params (no code for the BER).
Result<PufResult> evaluate_puf(const PufEvalOptions& options);

// ---------------------------------------------------------------------------------------------
// Reports.

struct Report {
  std::string command;  // how it was produced (recorded verbatim)
  std::vector<ProcessSourceResult> sources;
  std::optional<PufResult> puf;
  std::vector<std::string> notes;
};
nlohmann::json to_json(const Report& report);
// Markdown: one table per source, the PUF tables, and the bars marked met / not met.
std::string to_markdown(const Report& report);

}  // namespace hwlock::fingerprint::eval
