// The "puf-sim" and "puf-file" fingerprint sources: a PufProvider answering one fixed challenge.
#include "fingerprint/sources.hpp"
#include "hwlock/puf.hpp"

namespace hwlock::fingerprint {
namespace {

class PufSource final : public FingerprintSource {
 public:
  PufSource(std::string kind, std::unique_ptr<puf::PufProvider> provider, nlohmann::json params,
            std::uint64_t challenge, std::size_t nbits)
      : kind_(std::move(kind)),
        provider_(std::move(provider)),
        params_(std::move(params)),
        challenge_(challenge),
        nbits_(nbits) {}
  std::string_view kind() const override { return kind_; }
  nlohmann::json params() const override { return params_; }
  Result<Measurement> measure() override {
    HWLOCK_ASSIGN(auto bits, provider_->respond(challenge_, nbits_));
    Measurement m;
    m.kind = kind_;
    m.fields.push_back(Field{"puf." + std::string(provider_->kind()), 0, bits.size()});
    m.bits = std::move(bits);
    return m;
  }

 private:
  std::string kind_;
  std::unique_ptr<puf::PufProvider> provider_;
  nlohmann::json params_;
  std::uint64_t challenge_;
  std::size_t nbits_;
};

}  // namespace

namespace detail {

Result<SourcePtr> make_puf_sim_from_params(const nlohmann::json& j) {
  constexpr std::string_view k = "puf-sim";
  HWLOCK_TRY(
      check_params(k, j,
                   {"type", "device_seed", "noise_seed", "bit_error_rate", "bits", "challenge",
                    "cells", "temperature_c", "temperature_drift", "age_years", "ageing_drift"}));
  std::string type = "sram";
  if (j.is_object() && j.contains("type")) {
    HWLOCK_ASSIGN(type, param_string(k, j, "type"));
  }
  constexpr auto kMax = ~std::uint64_t{0};
  HWLOCK_ASSIGN(const auto device_seed, param_u64(k, j, "device_seed", 0, 0, kMax));
  HWLOCK_ASSIGN(const auto noise_seed, param_u64(k, j, "noise_seed", 1, 0, kMax));
  HWLOCK_ASSIGN(const auto ber, param_double(k, j, "bit_error_rate", 0.05, 0.0, 0.25));
  HWLOCK_ASSIGN(const auto bits, param_u64(k, j, "bits", 256, 1, puf::kMaxResponseBits));
  HWLOCK_ASSIGN(const auto challenge, param_u64(k, j, "challenge", 0, 0, kMax));
  nlohmann::json recorded = {{"type", type},
                             {"device_seed", device_seed},
                             {"noise_seed", noise_seed},
                             {"bit_error_rate", ber},
                             {"bits", bits},
                             {"challenge", challenge}};
  std::unique_ptr<puf::PufProvider> provider;
  if (type == "sram") {
    puf::SramPufConfig c;
    c.device_seed = device_seed;
    c.noise_seed = noise_seed;
    c.bit_error_rate = ber;
    HWLOCK_ASSIGN(c.cells, param_u64(k, j, "cells", c.cells, 1, kMax));
    HWLOCK_ASSIGN(c.temperature_c, param_double(k, j, "temperature_c", 25.0, -273.15, 1000.0));
    HWLOCK_ASSIGN(c.temperature_drift, param_double(k, j, "temperature_drift", 0.0, 0.0, 100.0));
    HWLOCK_ASSIGN(c.age_years, param_double(k, j, "age_years", 0.0, 0.0, 1000.0));
    HWLOCK_ASSIGN(c.ageing_drift, param_double(k, j, "ageing_drift", 0.0, 0.0, 100.0));
    recorded.update({{"cells", c.cells},
                     {"temperature_c", c.temperature_c},
                     {"temperature_drift", c.temperature_drift},
                     {"age_years", c.age_years},
                     {"ageing_drift", c.ageing_drift}});
    HWLOCK_ASSIGN(auto sim, puf::SramPufSim::create(c));
    provider = std::make_unique<puf::SramPufSim>(std::move(sim));
  } else if (type == "arbiter") {
    for (const char* key :
         {"cells", "temperature_c", "temperature_drift", "age_years", "ageing_drift"})
      if (j.contains(key))
        return fail(Errc::fp_bad_params, std::string("puf-sim source: parameter \"") + key +
                                             "\" applies to type \"sram\" only");
    HWLOCK_ASSIGN(auto sim, puf::ArbiterPufSim::create({device_seed, noise_seed, ber}));
    provider = std::make_unique<puf::ArbiterPufSim>(std::move(sim));
  } else {
    return fail(
        Errc::fp_bad_params,
        "puf-sim source: parameter \"type\" must be \"sram\" or \"arbiter\", not \"" + type + "\"");
  }
  return SourcePtr(std::make_unique<PufSource>("puf-sim", std::move(provider), std::move(recorded),
                                               challenge, static_cast<std::size_t>(bits)));
}

Result<SourcePtr> make_puf_file_from_params(const nlohmann::json& j) {
  constexpr std::string_view k = "puf-file";
  HWLOCK_TRY(check_params(k, j, {"path", "bits", "challenge"}));
  HWLOCK_ASSIGN(auto path, param_string(k, j, "path"));
  HWLOCK_ASSIGN(const auto bits, param_u64(k, j, "bits", 256, 1, puf::kMaxResponseBits));
  HWLOCK_ASSIGN(const auto challenge, param_u64(k, j, "challenge", 0, 0, std::uint64_t{1} << 35));
  nlohmann::json recorded = {{"path", path}, {"bits", bits}, {"challenge", challenge}};
  return SourcePtr(std::make_unique<PufSource>("puf-file", std::make_unique<puf::FilePuf>(path),
                                               std::move(recorded), challenge,
                                               static_cast<std::size_t>(bits)));
}

}  // namespace detail
}  // namespace hwlock::fingerprint
