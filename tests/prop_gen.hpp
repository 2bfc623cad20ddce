// rapidcheck generators for models: valid UTF-8 names, every dtype, shapes with zeros.
#pragma once

#include <rapidcheck.h>

#include <map>
#include <string>
#include <vector>

#include "hwlock/safetensors.hpp"

namespace hwlock::test {

// Pieces that exercise JSON escaping and multi-byte UTF-8.
inline rc::Gen<std::string> gen_name() {
  static const std::vector<std::string> pieces = {
      "a", "b",  "z",  "0",    "9", ".", "_", "-",      " ",       "\"",  "\\",
      "/", "\n", "\t", "\x01", "é", "€", "😀", "weight", "layers.", "bias"};
  return rc::gen::map(
      rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, pieces.size())),
      [](const std::vector<std::size_t>& idx) {
        std::string s = "t";  // never empty, never "__metadata__"
        for (auto i : idx) s += pieces[i];
        return s;
      });
}

struct GenTensor {
  std::string name;
  st::DType dtype;
  std::vector<std::uint64_t> shape;
  std::vector<std::byte> data;
};

inline rc::Gen<GenTensor> gen_tensor() {
  return rc::gen::apply(
      [](std::string name, std::size_t dtype_index, std::vector<std::uint64_t> shape,
         std::uint64_t seed) {
        GenTensor t{std::move(name), st::kDTypes[dtype_index].dtype, std::move(shape), {}};
        std::uint64_t n = st::dtype_size(t.dtype);
        for (auto d : t.shape) n *= d;
        t.data.resize(static_cast<std::size_t>(n));
        for (auto& b : t.data)
          b = static_cast<std::byte>((seed = seed * 6364136223846793005ull + 1) >> 56);
        return t;
      },
      gen_name(), rc::gen::inRange<std::size_t>(0, st::kDTypes.size()),
      rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, 4),
                      [](std::size_t rank) {
                        return rc::gen::container<std::vector<std::uint64_t>>(
                            rank, rc::gen::inRange<std::uint64_t>(0, 9));
                      }),
      rc::gen::arbitrary<std::uint64_t>());
}

// Tensors with unique names.
inline rc::Gen<std::vector<GenTensor>> gen_model() {
  return rc::gen::map(rc::gen::container<std::vector<GenTensor>>(gen_tensor()),
                      [](std::vector<GenTensor> ts) {
                        std::map<std::string, GenTensor> unique;
                        for (auto& t : ts) unique.emplace(t.name, std::move(t));
                        std::vector<GenTensor> out;
                        for (auto& [_, t] : unique) out.push_back(std::move(t));
                        return out;
                      });
}

inline rc::Gen<st::Metadata> gen_metadata() {
  return rc::gen::container<st::Metadata>(gen_name(), gen_name());
}

inline std::vector<st::TensorView> views(const std::vector<GenTensor>& ts) {
  std::vector<st::TensorView> v;
  for (const auto& t : ts) v.push_back({t.name, t.dtype, t.shape, t.data});
  return v;
}

}  // namespace hwlock::test
