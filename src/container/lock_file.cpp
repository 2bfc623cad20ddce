#include "internal.hpp"

namespace hwlock {
namespace {

// Reject inputs that already carry reserved metadata: locking twice would be ambiguous.
Status check_unlocked(const st::Header& h, const std::string& where) {
  if (is_locked(h))
    return fail(Errc::already_locked, where + ": already a .hwlock container; unlock it first");
  for (const auto& [k, _] : h.metadata)
    if (k.rfind(kMetaPrefix, 0) == 0)
      return fail(Errc::already_locked,
                  where + ": metadata key \"" + k + "\" uses the reserved prefix \"hwlock.\"");
  return {};
}

}  // namespace

Status lock_file(const std::filesystem::path& in, const std::filesystem::path& out,
                 KeySource& source, const LockOptions& options) {
  HWLOCK_ASSIGN(st::Reader reader, st::Reader::open(in));
  if (io::same_file(in, out))
    return fail(Errc::same_file, out.string() + ": output is the input file; choose another path");
  HWLOCK_TRY(check_unlocked(reader.header(), in.string()));

  nlohmann::json description = source.describe();
  HWLOCK_ASSIGN(crypto::SecretKey master, source.master_key(description));

  LockInfo lock;
  lock.version = kContainerVersion;
  lock.kdf = crypto::kKdfId;
  HWLOCK_TRY(crypto::random_bytes(lock.salt));
  lock.key_source_kind = source.kind();
  lock.key_source_params = description;
  lock.key_check = options.key_check;
  // The key id is key-dependent: publishing it in the indistinguishable mode would let an attacker
  // test guesses without a forward pass, so it is only written alongside the MAC.
  if (options.key_check) {
    HWLOCK_ASSIGN(lock.key_id, key_id(master));
  }
  nlohmann::json tensors = nlohmann::json::object();
  for (const auto& t : reader.header().tensors) {
    TensorLock tl{std::string(crypto::kCipherId), {}};
    HWLOCK_TRY(crypto::random_bytes(tl.nonce));
    tensors[t.name] = {{"scheme", tl.scheme}, {"nonce", crypto::to_hex(tl.nonce)}};
    lock.tensors.emplace(t.name, tl);
  }

  st::Header header = reader.header();  // same tensors, same offsets
  nlohmann::json ks{{"kind", lock.key_source_kind}, {"params", lock.key_source_params}};
  if (!lock.key_id.empty()) ks["key_id"] = lock.key_id;
  header.metadata["hwlock.version"] = lock.version;
  header.metadata["hwlock.kdf"] = lock.kdf;
  header.metadata["hwlock.salt"] = crypto::to_hex(lock.salt);
  header.metadata["hwlock.key_source"] = ks.dump();
  header.metadata["hwlock.key_check"] = options.key_check ? std::string(crypto::kMacId) : "none";
  header.metadata["hwlock.tensors"] = tensors.dump();
  if (options.key_check) {
    HWLOCK_ASSIGN(crypto::SecretKey mac_key, detail::derive_mac_key(master, lock));
    HWLOCK_ASSIGN(header.metadata["hwlock.mac"], detail::header_mac_hex(mac_key, header));
  }
  HWLOCK_ASSIGN(auto keys, detail::derive_tensor_keys(master, lock, header));

  HWLOCK_ASSIGN(io::AtomicFile file, io::AtomicFile::create(out, options.overwrite));
  HWLOCK_TRY(file.write(st::serialize_header(header)));
  HWLOCK_TRY(detail::transform_stream(
      reader, keys, options.threads, options.progress,
      [&](std::uint64_t, std::span<const std::byte> bytes) { return file.write(bytes); }));
  return file.commit();
}

}  // namespace hwlock
