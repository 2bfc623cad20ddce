#include <cstdlib>
#include <new>

#include "internal.hpp"

namespace hwlock {

const UnlockedModel::Tensor* UnlockedModel::find(std::string_view name) const noexcept {
  if (!index_) return nullptr;
  const std::size_t i = index_->position(name);
  return i < tensors_.size() ? &tensors_[i] : nullptr;
}

Result<LockedModel> LockedModel::open(const std::filesystem::path& path, ReadPolicy policy) {
  LockedModel m;
  m.path_ = path;
  m.policy_ = policy;
  HWLOCK_ASSIGN(st::Reader reader, st::Reader::open(path));
  m.reader_ = std::make_shared<st::Reader>(std::move(reader));
  m.header_ = std::shared_ptr<const st::Header>(m.reader_, &m.reader_->header());
  HWLOCK_ASSIGN(m.lock_, parse_lock_info(*m.header_, path.string()));
  return m;
}

Status LockedModel::check_key(KeySource& source) const {
  if (!lock_.key_check) {
    if (policy_.allow_unchecked) return {};
    return fail(Errc::unchecked_refused,
                path_.string() +
                    ": has no key check (hwlock.key_check \"none\"): a wrong key or an edited "
                    "header would go unnoticed. Accept such files explicitly (--allow-unchecked) "
                    "if you locked it in the indistinguishable mode");
  }
  HWLOCK_ASSIGN(crypto::SecretKey master, source.master_key(lock_.key_source_params));
  HWLOCK_ASSIGN(crypto::SecretKey mac_key, detail::derive_mac_key(master, lock_));
  HWLOCK_ASSIGN(std::string mac, detail::header_mac_hex(mac_key, *header_));
  if (!crypto::constant_time_equal(std::as_bytes(std::span(mac)),
                                   std::as_bytes(std::span(lock_.mac_hex))))
    return fail(Errc::wrong_key,
                path_.string() +
                    ": locked for a different device or key (header MAC mismatch; the header may "
                    "also have been modified)");
  return {};
}

Result<UnlockedModel> LockedModel::unlock(KeySource& source, unsigned threads,
                                          const ProgressFn& progress) const {
  HWLOCK_TRY(check_key(source));
  HWLOCK_ASSIGN(crypto::SecretKey master, source.master_key(lock_.key_source_params));
  HWLOCK_ASSIGN(auto keys, detail::derive_tensor_keys(master, lock_, *header_));
  HWLOCK_TRY(detail::make_decoders(keys, master, lock_, *header_, path_.string()));
  UnlockedModel u;
  u.header_ = header_;
  for (const auto& [k, v] : header_->metadata)
    if (k.rfind(kMetaPrefix, 0) != 0) u.metadata_.emplace(k, v);
  const auto size = static_cast<std::size_t>(header_->data_size());
  HWLOCK_ASSIGN(u.buffer_, io::PageBuffer::allocate(size));
  const std::byte* src = reader_->file().bytes().data() + reader_->data_start();
  std::byte* dst = u.buffer_.data();
  // Slices bound the file pages mapped at once and let progress be reported. Each piece of a
  // slice is faulted in with one call and the slice dropped after use: the unlocked copy is what
  // stays resident.
  constexpr std::uint64_t kSlice = 64u << 20;
  const auto& file = reader_->file();
  if (progress) progress(0, size);
  for (std::uint64_t b = 0, e = 0; b < size; b = e) {
    e = detail::range_end(*header_, keys, std::min<std::uint64_t>(size, b + kSlice));
    HWLOCK_TRY(detail::transform_range(*header_, keys, b, e, src + b, dst + b, threads, true));
    file.release(reader_->data_start() + b, e - b);
    if (progress) progress(e, size);
  }
  for (const auto& t : header_->tensors)
    u.tensors_.push_back({&t, std::span<const std::byte>(dst + t.begin, t.nbytes())});
  u.index_.emplace(*u.header_);
  return u;
}

}  // namespace hwlock
