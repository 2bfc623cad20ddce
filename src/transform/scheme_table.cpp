// The table of schemes: a scheme is a row here, not a branch in the container.
#include <array>

#include "schemes.hpp"

namespace hwlock::transform {
namespace {

struct Row {
  std::string_view option;  // --scheme value
  const Scheme& (*get)();
};

const std::array<Row, 4> kTable{{
    {"aes", detail::aes_ctr_scheme},
    {"preaes", detail::preaes_scheme},
    {"shuffle-free", detail::shuffle_free_scheme},
    {"shuffle", detail::shuffle_scheme},
}};

}  // namespace

const Scheme* find_scheme(std::string_view id) noexcept {
  for (const auto& row : kTable)
    if (row.get().id() == id) return &row.get();
  return nullptr;
}

const Scheme* scheme_by_option(std::string_view option) noexcept {
  for (const auto& row : kTable)
    if (row.option == option || row.get().id() == option) return &row.get();
  return nullptr;
}

std::vector<std::string_view> scheme_options() {
  std::vector<std::string_view> out;
  for (const auto& row : kTable) out.push_back(row.option);
  return out;
}

std::vector<std::string_view> scheme_ids() {
  std::vector<std::string_view> ids;
  for (const auto& row : kTable) ids.push_back(row.get().id());
  return ids;
}

Result<std::unique_ptr<Decoder>> Scheme::range_encoder(const TensorDesc& t,
                                                       const TensorKeys&) const {
  return fail(Errc::scheme_unsupported, "tensor \"" + std::string(t.name) + "\": scheme " +
                                            std::string(id()) + " locks whole tensors only");
}

Status decode_tensor(const Scheme& scheme, const TensorDesc& t, const TensorKeys& keys,
                     const Params& params, std::span<const std::byte> locked,
                     std::span<std::byte> out) {
  if (locked.size() != t.bytes || out.size() != t.bytes)
    return fail(Errc::internal, "decode_tensor: buffer sizes differ from the tensor's");
  HWLOCK_ASSIGN(auto dec, scheme.decoder(t, keys, params));
  return dec->decode(0, locked, out);
}

}  // namespace hwlock::transform
