#include "zoo.hpp"

#include "torch_guard.hpp"

namespace hwlock::ml {

std::optional<Arch> parse_arch(std::string_view name) {
  for (const auto& a : kArchs)
    if (a.name == name) return a.arch;
  return std::nullopt;
}

Result<std::shared_ptr<Net>> make_model(Arch arch, std::uint64_t seed) {
  return detail::guard("make_model", [&]() -> Result<std::shared_ptr<Net>> {
    torch::manual_seed(seed);
    switch (arch) {
      case Arch::mlp:
        return detail::make_mlp();
      case Arch::cnn:
        return detail::make_cnn();
      case Arch::resnet20:
        return detail::make_resnet20();
      case Arch::vit:
        return detail::make_vit();
    }
    return fail(Errc::internal, "make_model: unknown architecture");
  });
}

}  // namespace hwlock::ml
