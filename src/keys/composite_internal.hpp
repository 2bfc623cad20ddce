// Private to src/keys: the per-source ("part") steps of device enrollment and reproduction that
// single-source records (device_record.cpp) and composite records (composite.cpp) share. A
// single-source record is itself one part (plus public_key and device_id).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "hwlock/device.hpp"
#include "hwlock/fingerprint.hpp"

namespace hwlock::device::detail {

inline constexpr std::string_view kCompositeKind = "composite";
inline constexpr std::string_view kCompositeExtractor = "composite-hkdf-sha256-v1";

struct EnrolledPart {
  nlohmann::json part;  // source, extractor, salt+mask | helper (+entropy), bits, reliable_bits,
                        // measurements
  crypto::SecretKey key;
};

// Measures one source and enrolls it with the extractor fitting it.
Result<EnrolledPart> enroll_part(const SourceSpec& spec);

// Checks one part's structure (source, extractor and its data, bits). Errors: key_source.
Status validate_part(const nlohmann::json& part, const std::string& where);

// The source a part was enrolled from; for a workbench-only kind ("torch") in a process that did
// not register it, key_source naming hwlock-ml.
Result<std::unique_ptr<fingerprint::FingerprintSource>> make_part_source(
    const nlohmann::json& part);

// One live measurement -> the part's key. wrong_key when the bit count differs; fuzzy_* when a
// noisy source does not decode.
Result<crypto::SecretKey> part_key_once(const nlohmann::json& part,
                                        fingerprint::FingerprintSource& source);

// Composite records: enrollment, structure check, and the key combiner of hwlock/device.hpp.
Result<nlohmann::json> enroll_composite(const EnrollOptions& options,
                                        crypto::SecretKey& device_key);
Status validate_composite(const nlohmann::json& record, const std::string& where);
Result<crypto::SecretKey> combine_part_keys(const std::vector<std::string>& kinds,
                                            std::span<const crypto::SecretKey> part_keys);

bool is_composite(const nlohmann::json& record);

}  // namespace hwlock::device::detail
