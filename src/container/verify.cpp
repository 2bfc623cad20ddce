#include <algorithm>
#include <cstring>
#include <set>

#include "internal.hpp"

namespace hwlock {

struct VerifyAccess {
  static const st::Reader& reader(const LockedModel& m) { return *m.reader_; }
};

namespace {

std::string shape_string(const std::vector<std::uint64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

// Structural comparison: names, dtypes, shapes, user metadata.
void compare_structure(const st::Header& locked, const st::Header& orig,
                       std::vector<std::string>& out) {
  const st::TensorIndex orig_index(orig), locked_index(locked);
  for (const auto& t : locked.tensors) {
    const auto* o = orig_index.find(t.name);
    if (o == nullptr) {
      out.push_back("tensor \"" + t.name + "\" is not in the original");
    } else if (o->dtype != t.dtype || o->shape != t.shape) {
      out.push_back("tensor \"" + t.name + "\": " + std::string(st::dtype_name(t.dtype)) +
                    shape_string(t.shape) + " vs original " +
                    std::string(st::dtype_name(o->dtype)) + shape_string(o->shape));
    }
  }
  for (const auto& o : orig.tensors)
    if (locked_index.find(o.name) == nullptr)
      out.push_back("original tensor \"" + o.name + "\" is missing");
  st::Metadata user;
  for (const auto& [k, v] : locked.metadata)
    if (k.rfind(kMetaPrefix, 0) != 0) user.emplace(k, v);
  if (user != orig.metadata) out.push_back("user metadata differs from the original's");
}

}  // namespace

Result<VerifyReport> verify(const std::filesystem::path& locked, KeySource& source,
                            const std::filesystem::path& original, unsigned threads,
                            const ProgressFn& progress, ReadPolicy policy) {
  HWLOCK_ASSIGN(LockedModel model, LockedModel::open(locked, policy));
  HWLOCK_TRY(model.check_key(source));
  VerifyReport report;
  report.key_checked = model.lock().key_check;
  report.tensors = model.header().tensors.size();
  report.bytes = model.header().data_size();
  if (original.empty()) return report;

  HWLOCK_ASSIGN(st::Reader orig, st::Reader::open(original));
  report.compared = true;
  compare_structure(model.header(), orig.header(), report.mismatches);
  HWLOCK_ASSIGN(crypto::SecretKey master, source.master_key(model.lock().key_source_params));
  HWLOCK_ASSIGN(auto keys, detail::derive_tensor_keys(master, model.lock(), model.header()));
  HWLOCK_TRY(detail::make_decoders(keys, master, model.lock(), model.header(), locked.string()));

  const st::Header& h = model.header();
  const std::byte* orig_data = orig.file().bytes().data() + orig.data_start();
  std::set<std::string> differing;
  const st::TensorIndex orig_index(orig.header());
  auto sink = [&](std::uint64_t w, std::span<const std::byte> bytes) -> Status {
    const std::uint64_t we = w + bytes.size();
    // Tensors are sorted by offset: visit only those overlapping this window.
    auto first = std::partition_point(h.tensors.begin(), h.tensors.end(),
                                      [&](const st::TensorInfo& t) { return t.end <= w; });
    for (auto it = first; it != h.tensors.end() && it->begin < we; ++it) {
      const auto& t = *it;
      const auto* o = orig_index.find(t.name);
      if (o == nullptr || o->nbytes() != t.nbytes()) continue;  // reported structurally
      const std::uint64_t b = std::max(t.begin, w), e = std::min(t.end, we);
      if (std::memcmp(bytes.data() + (b - w), orig_data + o->begin + (b - t.begin), e - b) != 0)
        differing.insert(t.name);
      orig.file().release(orig.data_start() + o->begin + (b - t.begin), e - b);
    }
    return {};
  };
  HWLOCK_TRY(detail::transform_stream(VerifyAccess::reader(model), keys, threads, progress, sink));
  for (const auto& name : differing)
    report.mismatches.push_back("tensor \"" + name + "\": unlocked bytes differ from the original");
  if (!report.mismatches.empty()) {
    std::string msg = locked.string() + ": does not match " + original.string() + ":";
    for (const auto& m : report.mismatches) msg += "\n  " + m;
    return fail(Errc::verify_mismatch, msg);
  }
  return report;
}

}  // namespace hwlock
