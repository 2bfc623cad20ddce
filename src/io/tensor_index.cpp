#include "hwlock/safetensors.hpp"

namespace hwlock::st {

TensorIndex::TensorIndex(const Header& header) : header_(&header) {
  by_name_.reserve(header.tensors.size());
  // emplace keeps the first of duplicate names, as Header::find finds the first.
  for (std::size_t i = 0; i < header.tensors.size(); ++i)
    by_name_.emplace(header.tensors[i].name, i);
}

std::size_t TensorIndex::position(std::string_view name) const noexcept {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? header_->tensors.size() : it->second;
}

const TensorInfo* TensorIndex::find(std::string_view name) const noexcept {
  const std::size_t i = position(name);
  return i == header_->tensors.size() ? nullptr : &header_->tensors[i];
}

}  // namespace hwlock::st
