// hwlock/device.hpp — device-bound keys: enrollment records and envelope keys.
//
// Enrollment runs on the device: it measures a fingerprint source many times and derives a device
// key from it, then publishes a *device record* (JSON, public):
//
//   {"hwlock_device_record": 1,
//    "source": {"kind": "numeric" | "timing" | "puf-sim" | "puf-file", "params": {...}},
//    "extractor": "exact-hkdf-sha256-v1" | "code-offset-rep-bch-hkdf-sha256-v1",
//    "salt": 64 hex (exact) | "helper": hex of the fuzzy-extractor helper record (code-offset),
//    "mask": hex of the packed reliability mask (exact; bits that never flipped at enrollment),
//    "bits": N, "reliable_bits": n, "measurements": M,
//    "public_key": 64 hex (X25519), "device_id": 16 hex}
//
// Device key: exact extractor: HKDF-SHA256(ikm = measured bits AND mask, salt,
// "hwlock/v1/device/exact") — for noise-free (numeric) or masked (timing) sources; code-offset:
// the fuzzy extractor of hwlock/fuzzy.hpp with context "hwlock/v1/device" — for noisy PUFs. The
// device's X25519 private key is HKDF(device key, "", "hwlock/v1/device/x25519"); the record holds
// its public key, which is also how reproduction checks it got the right key (a different device,
// or a modified record, gives another public key: "locked for a different device or key").
//
// Envelope keys: a model is locked with a random content key, wrapped for each enrolled device
// with ephemeral-static X25519 (ECIES style): shared = X25519(ephemeral, device public key),
// HKDF(shared, salt = ephemeral public ‖ device public, "hwlock/v1/envelope") → 32-byte pad ‖
// 32-byte MAC key; wrapped = content key XOR pad; tag = HMAC-SHA256(MAC key, wrapped). One locked
// artifact serves a fleet; revoking a device = re-locking without its record. Locking needs only
// the public records; unlocking re-measures the live device.
//
// Composite records bind one device key to several sources at once (e.g. numeric + timing):
//
//   {"hwlock_device_record": 1,
//    "source": {"kind": "composite", "params": {}},
//    "extractor": "composite-hkdf-sha256-v1",
//    "parts": [part, part, ...],          // 2..8 parts, in enrollment order
//    "bits": sum of the parts' bits, "reliable_bits": sum, "measurements": sum,
//    "public_key": 64 hex (X25519), "device_id": 16 hex}
//
// Each part is a single-source record without public_key/device_id: {"source", "extractor",
// "salt"/"mask" | "helper", "bits", "reliable_bits", "measurements"}, enrolled with the extractor
// fitting its source exactly as a single-source record would be. No part carries anything that
// checks its key alone (that would let an attacker search the parts one at a time). Device key =
// HKDF-SHA256(ikm = part key 1 ‖ ... ‖ part key n, salt = "", info = "hwlock/v1/device/composite"
// ‖ n ‖ for each part: len(kind) ‖ kind), one byte each for n and the lengths; the X25519 pair
// derives from it as above. Reproduction re-measures every part (up to 5 attempts, all parts each
// time) and succeeds only if the combined key gives the recorded public key: any part measuring
// differently, or any modified, removed or reordered part, gives wrong_key.
//
// Sources measured by the workbench ("torch", hwlock/ml/fingerprint_torch.hpp) are reproduced
// only by processes that registered them (hwlock-ml); elsewhere reproduction fails with key_source
// naming hwlock-ml. Records without "parts" are single-source records as before.
//
// WARNING: records must reach the locking machine authentically: a forged record's public key
// would receive the content key. Their integrity is the transport's job (sign or pin them).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hwlock/crypto.hpp"
#include "hwlock/error.hpp"
#include "hwlock/keys.hpp"

namespace hwlock::device {

// One source of an enrollment.
struct SourceSpec {
  std::string kind;
  nlohmann::json params = nlohmann::json::object();
  unsigned measurements = 0;  // 0: a default per source (numeric/torch 5, timing 31, PUF 15)
};

inline constexpr std::size_t kMaxCompositeParts = 8;

struct EnrollOptions {
  std::string source = "numeric";
  nlohmann::json params = nlohmann::json::object();
  unsigned measurements = 0;  // 0: a default per source (numeric/torch 5, timing 31, PUF 15)
  // Composite enrollment: when non-empty, these sources (2..kMaxCompositeParts, no kind twice)
  // make one composite record and source/params/measurements above are ignored.
  std::vector<SourceSpec> parts;
};

// Builds enroll options from source kinds as a user gives them: each entry may join several kinds
// with '+' ("numeric+timing"). One kind: a single-source enrollment with `params`. Several: a
// composite one, where `params` is {} or an object mapping kinds to their parameters
// ({"timing": {"rounds": 64}}). Errors: usage (empty kind, a kind twice, too many, bad params).
Result<EnrollOptions> enroll_options(const std::vector<std::string>& sources,
                                     const nlohmann::json& params, unsigned measurements);

// The source kinds of a record, in order: one for a single-source record, the parts' otherwise.
std::vector<std::string> record_source_kinds(const nlohmann::json& record);

struct Enrolled {
  nlohmann::json record;
  std::string device_id;
};

// Measures this device and returns its public record. Errors: fp_* (source), fuzzy_* (PUF too
// short or too noisy), key_source (a noise-free source that was not stable), crypto.
Result<Enrolled> enroll(const EnrollOptions& options);

// Checks a record's structure (not its key). Errors: key_source, with `origin` in the message.
Status validate_record(const nlohmann::json& record, std::string_view origin);

// Re-measures this device and returns its X25519 private key for `record`, checked against the
// record's public key. Errors: wrong_key (another device), fp_*, key_source.
Result<crypto::SecretKey> reproduce_private_key(const nlohmann::json& record);

// Key source "device". For locking: a random content key wrapped for every record. For
// unlocking: the live device, matched against the envelopes recorded in the container.
class DeviceKeySource final : public KeySource {
 public:
  static Result<std::unique_ptr<DeviceKeySource>> for_lock(std::vector<nlohmann::json> records);
  static std::unique_ptr<DeviceKeySource> live();

  std::string kind() const override { return "device"; }
  nlohmann::json describe() const override { return description_; }
  Result<crypto::SecretKey> master_key(const nlohmann::json& recorded) override;

 private:
  DeviceKeySource() = default;
  nlohmann::json description_ = nlohmann::json::object();
  crypto::SecretKey content_;  // known at lock time, or after the first successful unwrap
};

}  // namespace hwlock::device
