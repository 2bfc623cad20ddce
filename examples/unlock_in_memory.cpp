// The on-device path: open a locked model, unlock it in memory, hand tensors to an engine.
//
//   unlock_in_memory model.hwlock device.key
//
// Nothing unlocked is ever written to disk. Replace the printing loop with your engine's
// "create tensor from buffer" call (libtorch: torch::from_blob; ONNX Runtime: CreateTensor...).
#include <cstdio>

#include "hwlock/container.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.hwlock KEY_FILE\n", argv[0]);
    return 2;
  }
  auto model = hwlock::LockedModel::open(argv[1]);  // maps and validates; no key needed yet
  if (!model) {
    std::fprintf(stderr, "%s\n", model.error().message.c_str());
    return hwlock::exit_code(model.error().code);
  }
  auto key = hwlock::KeyFileSource::open(argv[2]);
  if (!key) {
    std::fprintf(stderr, "%s\n", key.error().message.c_str());
    return hwlock::exit_code(key.error().code);
  }
  // Checks the header MAC first: a wrong key or device fails here with Errc::wrong_key.
  auto unlocked = model->unlock(**key);
  if (!unlocked) {
    std::fprintf(stderr, "%s\n", unlocked.error().message.c_str());
    return hwlock::exit_code(unlocked.error().code);
  }
  for (const auto& t : unlocked->tensors()) {
    std::printf("%-40s %-6s %zu bytes at %p\n", t.info->name.c_str(),
                std::string(hwlock::st::dtype_name(t.info->dtype)).c_str(), t.data.size(),
                static_cast<const void*>(t.data.data()));
  }
  return 0;  // `unlocked` wipes its buffer when it goes out of scope
}
