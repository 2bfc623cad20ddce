// hwlock/ml/softlock_quant.hpp — the quantisation-aware soft lock (workbench only).
//
// The paper's soft lock "targeting the efficiency of model representations": the model is
// fine-tuned so that it is accurate when its weights and activations are in the authorized
// hardware's number format (hwlock/ml/numerics.hpp, Numerics::uniform) and near chance in every
// denied format.
//
// The loss alone does not separate formats on a plain MLP (accuracy rises and falls in all formats
// together), so the lock first builds a structure into the model: *shadow units* (the default;
// zoo mlp and cnn, see ShadowPlan below) or *carriers* alone: hidden units of the zoo MLP (fc1 and
// fc2 outputs) with zero incoming weights and a constant bias, i.e. a constant activation after
// ReLU, whose value each format represents differently. Two kinds, chosen from the authorized
// format:
//   scale      (block- and tensor-scaled formats: mxint8, mxfp*, bfp, int8, int4) value 256,
//              outgoing weights 0. The carrier sets the shared scale of its MX block (or of the
//              whole per-example int8 tensor), so the other activations there are rounded coarsely
//              (MXINT8: multiples of 4) only in the authorized format. Default: one carrier per
//              32-unit block for block formats, one per layer for tensor-scaled ones.
//   saturate   (formats that saturate: fp8-e4m3/e5m2/e3m4 and their :sat variants, fixed, log8)
//              value 2^k above the format's largest finite value, which it saturates to, fixed
//              outgoing weights +-1/64 (seeded) and the next layer's bias compensated for the
//              saturated value: every format that represents the carrier exactly sees a
//              different, constant shift of the next layer. Default: 8 carriers per layer.
// Carriers are ordinary parameters: they survive the safetensors export, their positions are in
// the output's metadata, and the lock keeps them fixed (their gradients are masked). An attacker
// sees them; removing them (bias 0) makes the model run as if no carrier existed, which in the
// authorized format is no longer the function the lock trained (reported as carriers_removed).
//
// Objective, per batch:  CE(f_a(x)) + lambda * sum_d mean_i relu(tau - CE_i(f_d(x_i)))
// (optionally with f_d evaluated after simulated attacker steps: anticipate_steps)
// with f_F the model run in format F (straight-through gradients), d over the denied formats.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/ml/data.hpp"
#include "hwlock/ml/models.hpp"
#include "hwlock/numfmt.hpp"

namespace hwlock::ml {

enum class CarrierKind : std::uint8_t { scale, saturate };

// One constant hidden unit: output `unit` of Linear `layer`, feeding Linear `next`.
struct Carrier {
  std::string layer;  // "fc1" or "fc2"
  std::string next;   // "fc2" or "fc3"
  std::int64_t unit = 0;
  float value = 0;       // its bias (and activation)
  float out_weight = 0;  // scale: 0; saturate: +-1/64 (every weight of next's column `unit`)
  friend bool operator==(const Carrier&, const Carrier&) = default;
};

// Metadata text: "fc1:31:256:0,fc2:31:256:0" (layer:unit:value:out_weight; next is implied).
std::string carriers_to_string(const std::vector<Carrier>& carriers);
Result<std::vector<Carrier>> parse_carriers(std::string_view text);

// The kind of carrier that exposes `authorized`, and the default carrier count per hidden layer;
// Errc::usage for formats no carrier exposes (fp32, fp16/bf16 without saturation).
struct CarrierPlan {
  CarrierKind kind = CarrierKind::scale;
  int per_layer = 0;
  float value = 0;
};
Result<CarrierPlan> carrier_plan(const numfmt::FormatSpec& authorized);

// Inserts carriers into the zoo MLP (Errc::usage for other models or counts above 256).
Result<std::vector<Carrier>> insert_carriers(Net& model, const CarrierPlan& plan,
                                             const numfmt::FormatSpec& authorized,
                                             std::uint64_t seed);
// True when every carrier's weights, bias and outgoing column are as described.
bool carriers_intact(Net& model, const std::vector<Carrier>& carriers);
// The attacker's naive removal: bias 0 and outgoing column 0 (the unit becomes dead).
Status remove_carriers(Net& model, const std::vector<Carrier>& carriers);
// The attacker's informed edit: each carrier's bias set to the value `authorized` stores for it
// (saturate carriers: the saturated value, so every format sees what the authorized one does;
// scale carriers: unchanged, since their value is exact in the authorized format).
Status clamp_carriers(Net& model, const std::vector<Carrier>& carriers,
                      const numfmt::FormatSpec& authorized);

// Shadow units (the default structure for block- and tensor-scaled authorized formats): whole
// 32-unit blocks of fc1 whose units are squeezed (an affine map of their own pre-activation, the
// incoming weights frozen) into [low, high] inside the authorized format's *dead zone*: next to a
// carrier of 256 in the same block (MX) or layer (per-tensor int8), the authorized format stores
// every value below dead_zone as 0 (MXINT8: 2; int8: 256/254), while the denied formats keep them
// (fp32/fp16/bf16/fp8 exactly or nearly; int8 next to MXINT8's carriers rounds 1.1-1.9 to 2.02;
// MXINT8 blocks without a carrier have a fine scale). Their outgoing weights (fc2 columns) start
// at 0 and are trained by the denied terms alone (in the authorized format their input is 0, so
// the authorized term's gradient for them is 0), bounded by the largest ordinary fc2 weight.
// Block formats get one carrier per shadow block (its last unit); tensor formats one carrier at
// fc1 unit 0, outside the shadow blocks, so MXINT8 sees the shadows.
// Saturating formats (fp8-e4m3 and the other minifloats with saturation) get *saturation*
// shadows instead, no carrier: units held in [1.2, 2] x the smallest value the format saturates
// (fp8-e4m3: 432 -> [518, 864]), all stored as its largest finite value (448). The authorized
// format sees a constant there (absorbed by fc2's bias), every other format an input-dependent
// signal: fp32/fp16/bf16 keep it, int8's per-tensor scale grows to ~864/127 (coarsening every
// other unit too), MXINT8 gives the shadow block its own scale.
enum class ShadowKind : std::uint8_t { dead_zone, saturation };
struct ShadowPlan {
  ShadowKind kind = ShadowKind::dead_zone;
  int blocks = 1;
  bool block_carriers = true;  // carrier inside each shadow block (block formats)
  // dead_zone: largest value stored as 0 next to a carrier (MXINT8 2, int8 128/127);
  // saturation: smallest value stored as `stored`.
  float threshold = 0;
  float low = 0, high = 0;  // the shadows' range
  float stored = 0;         // what the authorized format stores for every shadow value
};
Result<ShadowPlan> shadow_plan(const numfmt::FormatSpec& authorized, int blocks);
struct ShadowSet {
  ShadowKind kind = ShadowKind::dead_zone;
  std::vector<std::int64_t> units;          // fc1 shadow units
  std::vector<std::int64_t> carrier_units;  // fc1 carriers (value 256, outgoing weights 0)
  float low = 0, high = 0, weight_bound = 0, stored = 0;
};
// Picks the least used blocks (smallest outgoing weight mass, never block 0), squeezes their units
// using `train` statistics (Net::fc1_input) and sets the carriers. Errc::usage for models without
// a 256-unit fc1 feeding fc2 (zoo mlp and cnn have one).
Result<ShadowSet> insert_shadows(Net& model, const ShadowPlan& plan, const TensorDataset& train);
// Clamps the shadows' outgoing weights to +-weight_bound (after every optimiser step).
Status project_shadows(Net& model, const ShadowSet& shadows);
// The attacker's informed edit: every shadow replaced by what the authorized format computes from
// it, a constant (stored value times its fc2 column as the authorized format stores the weights)
// folded into fc2's bias; the unit is then dead (row, bias and column 0).
Status remove_shadows(Net& model, const ShadowSet& shadows, const numfmt::FormatSpec& authorized);
// Metadata text of unit lists: "33,34,35".
std::string units_to_string(const std::vector<std::int64_t>& units);
Result<std::vector<std::int64_t>> parse_units(std::string_view text);

// The formats every report evaluates: fp32, fp16, bf16, int8, fp8-e4m3, mxint8.
std::vector<numfmt::FormatSpec> standard_quant_formats();

// Test accuracy with weights and activations in `spec` (fp32: native); numerics restored after.
Result<double> accuracy_in(Net& model, const numfmt::FormatSpec& spec, const TensorDataset& data,
                           unsigned threads = 1);

struct QuantLockProgress {
  int epoch = 0, epochs = 0;
  std::int64_t batch = 0, batches = 0;
  double loss_authorized = 0, loss_denied = 0;  // running means over the epoch (denied: mean CE)
};

struct QuantLockOptions {
  numfmt::FormatSpec authorized;
  std::vector<numfmt::FormatSpec> denied;  // empty: standard_quant_formats() minus authorized
  int carriers = -1;  // carrier-only lock: per hidden layer; -1: carrier_plan's default
  // Shadow blocks (ShadowPlan); -1: 1 unless `carriers` is given (then the carrier-only lock);
  // 0: the carrier-only lock. Shadows place their own carriers: not combinable with `carriers`.
  int shadow_blocks = -1;
  int epochs = 3;
  std::int64_t batch_size = 128;
  double lr = 1e-3;  // Adam, cosine decay to 0
  double lambda = 0.1;
  double tau = 2.3;  // push each denied cross-entropy to at least this (chance: ln 10 = 2.30)
  // Hinge every example's denied cross-entropy (default) or the batch mean (the first version).
  bool per_example_hinge = true;
  // Attack-aware lock: each denied term is evaluated after this many simulated attacker
  // fine-tuning steps in that format (sign-gradient steps of anticipate_step_size on plain CE,
  // every parameter free; first order), as in the sparsity lock.
  int anticipate_steps = 0;
  double anticipate_step_size = 0.01;
  std::uint64_t seed = 0;
  unsigned threads = 1;
  std::function<void(const QuantLockProgress&)> progress;
};

struct FormatAccuracy {
  std::string format;
  double before = 0;            // the input model
  double with_carriers = 0;     // carriers inserted, before fine-tuning
  double after = 0;             // the locked model
  double carriers_removed = 0;  // the locked model with remove_carriers applied
  double carriers_clamped = 0;  // the locked model with clamp_carriers applied
  double shadows_removed = 0;   // the locked model with remove_shadows applied (no shadows: after)
  bool authorized = false;
  bool denied = false;
};

struct QuantLockReport {
  CarrierKind kind = CarrierKind::scale;
  std::vector<Carrier> carriers;
  ShadowSet shadows;                    // empty units: carrier-only lock
  std::vector<FormatAccuracy> formats;  // every evaluated format
  double seconds = 0;
};

// Inserts the structure and fine-tunes `model` (zoo mlp; cnn with shadow units) with the lock
// objective on `train`;
// accuracies on `test`. On return the model holds the locked weights, carriers included.
Result<QuantLockReport> quant_lock(Net& model, const TensorDataset& train,
                                   const TensorDataset& test, const QuantLockOptions& options);

// Attack (a): run the locked model in the attacker's `target` format and fine-tune it there with
// plain cross-entropy on the attacker's `train` data (every parameter free, Adam, constant lr);
// or, with quant_scratch_curve, train a fresh model of `arch` in `target` from initialisation.
// Test accuracy (in `target`) at each checkpoint step. The caller's model is left unchanged.
struct QuantRecoveryOptions {
  numfmt::FormatSpec target;
  std::vector<std::int64_t> checkpoints = {0, 10, 25, 50, 100, 200, 400};
  std::int64_t batch_size = 64;
  double lr = 1e-3;
  std::uint64_t seed = 1;
  unsigned threads = 1;
};
struct QuantCurvePoint {
  std::int64_t steps = 0;
  double accuracy = 0;
};
Result<std::vector<QuantCurvePoint>> quant_recovery_curve(Net& locked, const TensorDataset& train,
                                                          const TensorDataset& test,
                                                          const QuantRecoveryOptions& options);
Result<std::vector<QuantCurvePoint>> quant_scratch_curve(Arch arch, const TensorDataset& train,
                                                         const TensorDataset& test,
                                                         const QuantRecoveryOptions& options);

// The attacker's emulation cost on this CPU, whole-model inference of `model` on a batch of
// `batch` examples, median of `reps` interleaved rounds, current libtorch thread count:
//   native_s       fp32 forward (stands in for the authorized hardware's native path: this CPU
//                  has no native MXINT8/fp8 GEMM, and such hardware is at least as fast)
//   emulated_s     weights and activations fake-quantised on every pass, then fp32 GEMMs
//   activations_s  weights fake-quantised once ahead of time, activations on every pass (the
//                  cheapest exact emulation)
struct QuantEmulationCost {
  std::int64_t batch = 0;
  double native_s = 0, emulated_s = 0, activations_s = 0;
};
Result<QuantEmulationCost> quant_emulation_cost(Net& model, const numfmt::FormatSpec& spec,
                                                std::int64_t batch, int reps = 7);

}  // namespace hwlock::ml
