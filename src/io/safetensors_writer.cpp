#include <algorithm>

#include "hwlock/safetensors.hpp"

namespace hwlock::st {

Status write_file(const std::filesystem::path& path, std::span<const TensorView> tensors,
                  const Metadata& metadata, bool overwrite) {
  std::vector<const TensorView*> order;
  for (const auto& t : tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(),
            [](const TensorView* a, const TensorView* b) { return a->name < b->name; });
  if (tensors.size() > kMaxTensors)
    return fail(Errc::st_too_many_tensors, path.string() + ": " + std::to_string(tensors.size()) +
                                               " tensors, above the limit of " +
                                               std::to_string(kMaxTensors));
  Header h;
  h.metadata = metadata;
  for (const auto& [k, v] : metadata)
    if (!is_valid_utf8(k) || !is_valid_utf8(v))
      return fail(Errc::st_header_not_utf8, path.string() + ": metadata is not valid UTF-8");
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && order[i]->name == order[i - 1]->name)
      return fail(Errc::st_duplicate_name,
                  path.string() + ": tensor \"" + order[i]->name + "\" given twice");
    if (!is_valid_utf8(order[i]->name))
      return fail(Errc::st_header_not_utf8, path.string() + ": a tensor name is not valid UTF-8");
    if (order[i]->name.size() > kMaxTensorNameSize)
      return fail(Errc::st_name_too_long,
                  path.string() + ": a tensor name of " + std::to_string(order[i]->name.size()) +
                      " bytes is above the limit of " + std::to_string(kMaxTensorNameSize));
    if (order[i]->name == kMetadataKey)
      return fail(Errc::st_header_schema,
                  path.string() + ": \"__metadata__\" is not a tensor name");
    h.tensors.push_back({order[i]->name, order[i]->dtype, order[i]->shape, 0, 0});
  }
  HWLOCK_TRY(assign_offsets(h));
  for (std::size_t i = 0; i < order.size(); ++i)
    if (h.tensors[i].nbytes() != order[i]->data.size())
      return fail(Errc::st_size_mismatch, path.string() + ": tensor \"" + order[i]->name +
                                              "\" has " + std::to_string(order[i]->data.size()) +
                                              " bytes but its shape needs " +
                                              std::to_string(h.tensors[i].nbytes()));
  HWLOCK_ASSIGN(auto out, io::AtomicFile::create(path, overwrite));
  HWLOCK_TRY(out.write(serialize_header(h)));
  for (const auto* t : order) HWLOCK_TRY(out.write(t->data));
  return out.commit();
}

}  // namespace hwlock::st
