// Device profiles on disk: reading files, the search path, lookup by name (hwlock/profile.hpp).
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <system_error>

#include "hwlock/profile.hpp"

namespace fs = std::filesystem;

namespace hwlock {
namespace {

Result<std::string> read_small_file(const fs::path& file) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) return fail(Errc::io_open, file.string() + ": cannot open: " + ec.message());
  if (size > kMaxProfileBytes)
    return fail(Errc::profile_invalid,
                file.string() + ": larger than " + std::to_string(kMaxProfileBytes) + " bytes");
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(Errc::io_open, file.string() + ": cannot open");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return fail(Errc::io_read, file.string() + ": read failed");
  return text;
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

}  // namespace

Result<DeviceProfile> load_profile(const fs::path& file) {
  HWLOCK_ASSIGN(const std::string text, read_small_file(file));
  HWLOCK_ASSIGN(DeviceProfile p, parse_profile(text, file.string()));
  if (p.name != file.stem().string())
    return fail(Errc::profile_invalid, file.string() + ": field \"name\": \"" + p.name +
                                           "\" differs from the file name \"" +
                                           file.stem().string() + "\"");
  p.file = file;
  return p;
}

std::vector<fs::path> profile_dirs(const fs::path& explicit_dir) {
  if (!explicit_dir.empty()) return {explicit_dir};
  if (const char* env = std::getenv("HWLOCK_PROFILES"); env != nullptr && *env != '\0')
    return {fs::path(env)};
  std::vector<fs::path> dirs;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(exe.parent_path().parent_path() / "share" / "hwlock" / "profiles");
#ifdef HWLOCK_INSTALL_PROFILES_DIR
  dirs.emplace_back(HWLOCK_INSTALL_PROFILES_DIR);
#endif
#ifdef HWLOCK_SOURCE_PROFILES_DIR
  dirs.emplace_back(HWLOCK_SOURCE_PROFILES_DIR);
#endif
  return dirs;
}

Result<DeviceProfile> find_profile(std::string_view name_or_path,
                                   const std::vector<fs::path>& dirs) {
  const std::string arg(name_or_path);
  if (arg.find('/') != std::string::npos || arg.ends_with(".json")) return load_profile(arg);
  if (!valid_profile_name(arg))
    return fail(Errc::profile_not_found, "\"" + arg + "\" is not a valid profile name");
  std::string searched;
  for (const auto& dir : dirs) {
    const fs::path file = dir / (arg + ".json");
    std::error_code ec;
    if (fs::is_regular_file(file, ec)) return load_profile(file);
    searched += (searched.empty() ? "" : ", ") + dir.string();
  }
  return fail(Errc::profile_not_found,
              "no profile \"" + arg + "\" in " +
                  (searched.empty() ? std::string("(no directory)") : searched) +
                  " (set --profiles DIR or HWLOCK_PROFILES)");
}

Result<std::vector<DeviceProfile>> load_all_profiles(const std::vector<fs::path>& dirs) {
  const auto dir = std::find_if(dirs.begin(), dirs.end(), is_dir);
  if (dir == dirs.end())
    return fail(Errc::profile_not_found,
                "no profile directory found (set --profiles DIR or HWLOCK_PROFILES)");
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(*dir, ec))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  if (ec) return fail(Errc::io_open, dir->string() + ": cannot list: " + ec.message());
  if (files.empty()) return fail(Errc::profile_not_found, dir->string() + ": no *.json profiles");
  std::sort(files.begin(), files.end());
  std::vector<DeviceProfile> out;
  for (const auto& f : files) {
    HWLOCK_ASSIGN(DeviceProfile p, load_profile(f));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace hwlock
