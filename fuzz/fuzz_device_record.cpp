// libFuzzer target: device records (device::validate_record and the record parsing of
// reproduce_private_key), and the device envelopes a container records (DeviceKeySource).
// Single-source and composite ("parts") records alike. Input: JSON. An object with "envelopes" is a
// recorded key-source description, unlocked with the live source; anything else is a device record.
// Fingerprint sources are replaced by fakes (see fake_sources.hpp): nothing is measured live;
// records the real source registry rejects are not reproduced. Invariants: nothing throws; record
// errors are key_source and name their origin; reproduction fails whenever validation does, and a
// key it returns matches the record's public key; a record that reproduces can be locked for and
// the live source unwraps the same content key.
#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fake_sources.hpp"
#include "fuzz_util.hpp"
#include "hwlock/crypto.hpp"
#include "hwlock/device.hpp"
#include "hwlock/fingerprint.hpp"

namespace {

using nlohmann::json;
namespace device = hwlock::device;

constexpr std::string_view kOrigin = "fuzz-record.json";

bool equal_keys(const hwlock::crypto::SecretKey& a, const hwlock::crypto::SecretKey& b) {
  return hwlock::crypto::constant_time_equal(a.bytes(), b.bytes());
}

void check_envelopes(const json& recorded) {
  const hwlock::fuzz::FakeSources fakes;
  auto live = device::DeviceKeySource::live();
  auto key = live->master_key(recorded);
  HWLOCK_FUZZ_CHECK(key.ok() || key.error().code != hwlock::Errc::internal);
}

void check_record(const json& record) {
  const auto valid = device::validate_record(record, kOrigin);
  if (!valid) {
    HWLOCK_FUZZ_CHECK(valid.error().code == hwlock::Errc::key_source);
    HWLOCK_FUZZ_CHECK(valid.error().message.starts_with(kOrigin));
  }
  if (valid) {
    // What reproduce would build, with the real registry (each part of a composite record):
    // construction only, nothing measured.
    const json parts = record.contains("parts") ? record.at("parts") : json::array({record});
    for (const auto& part : parts) {
      const auto& source = part.at("source");
      if (!hwlock::fingerprint::make_source(source.at("kind").get<std::string>(),
                                            source.at("params")))
        return;
    }
  }
  const hwlock::fuzz::FakeSources fakes;
  auto priv = device::reproduce_private_key(record);
  if (!valid) {
    HWLOCK_FUZZ_CHECK(!priv.ok() && priv.error().code == valid.error().code);
    return;
  }
  if (!priv) {
    HWLOCK_FUZZ_CHECK(priv.error().code != hwlock::Errc::internal);
    return;
  }
  std::array<std::byte, hwlock::crypto::kX25519Size> pub{};
  HWLOCK_FUZZ_CHECK(hwlock::crypto::x25519_public(priv->bytes(), pub).ok());
  HWLOCK_FUZZ_CHECK(hwlock::crypto::to_hex(pub) == record.at("public_key").get<std::string>());

  // Lock for this record, unlock with the (fake) live device.
  auto locker = device::DeviceKeySource::for_lock({record});
  HWLOCK_FUZZ_CHECK(locker.ok());
  auto content = (*locker)->master_key(json::object());
  HWLOCK_FUZZ_CHECK(content.ok());
  auto live = device::DeviceKeySource::live();
  auto unwrapped = live->master_key((*locker)->describe());
  HWLOCK_FUZZ_CHECK(unwrapped.ok() && equal_keys(*content, *unwrapped));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json input = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded()) return 0;
  if (input.is_object() && input.contains("envelopes"))
    check_envelopes(input);
  else
    check_record(input);
  return 0;
}
