// recorderctl export: a clip from a storage directory, without a running recorder (a drive at the depot).

#include <iostream>
#include <unistd.h>

#include "commands.h"
#include "recorder/catalog/catalog.h"
#include "recorder/catalog/storage_identity.h"
#include "recorder/export/manifest.h"
#include "recorder/export/mp4_export.h"

namespace recorderctl {

using namespace recorder;

namespace {
// The recorder's key; a depot workstation passes its own with --key.
constexpr const char* default_signing_key = "/var/lib/onboard-recorder/signing.key";
}  // namespace

int export_clip(const Arguments& args) {
  std::string storage, camera, from_text, to_text, out, manifest, key_file = default_signing_key, user;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw UsageError(args[i] + " needs a value");
      return args[++i];
    };
    if (args[i] == "--storage") storage = value();
    else if (args[i] == "--camera") camera = value();
    else if (args[i] == "--from") from_text = value();
    else if (args[i] == "--to") to_text = value();
    else if (args[i] == "-o" || args[i] == "--output") out = value();
    else if (args[i] == "--manifest") manifest = value();
    else if (args[i] == "--key") key_file = value();
    else if (args[i] == "--user") user = value();
    else throw UsageError("unknown argument '" + args[i] + "'");
  }
  if (storage.empty() || camera.empty() || from_text.empty() || to_text.empty() || out.empty())
    throw UsageError("export needs --storage DIR --camera ID --from TIME --to TIME -o FILE");
  const auto from = parse_rfc3339(from_text), to = parse_rfc3339(to_text);
  if (!from) throw UsageError("--from '" + from_text + "' is not an RFC 3339 time such as 2026-11-30T14:03:00Z");
  if (!to) throw UsageError("--to '" + to_text + "' is not an RFC 3339 time such as 2026-11-30T14:08:00Z");
  if (std::filesystem::exists(out)) throw Error(ErrorKind::InvalidArgument, out + " exists: not overwriting it");
  if (manifest.empty()) manifest = out + ".manifest.json";
  if (user.empty()) {
    const char* from_env = std::getenv("SUDO_USER") ? std::getenv("SUDO_USER") : std::getenv("USER");
    user = from_env ? from_env : "unknown";
  }
  const auto key = exporting::load_or_create_signing_key(key_file);  // before the work: fail early
  const std::string recorder_id = catalog::read_storage_id(storage);

  catalog::Catalog catalog(storage, catalog::Database::Mode::ReadOnly);
  const auto from_us = catalog::to_micros(*from), to_us = catalog::to_micros(*to);
  const auto plan = exporting::plan_export(camera, from_us, to_us, catalog.segments(camera, from_us, to_us));
  const bool terminal = isatty(STDERR_FILENO);
  const auto result = exporting::export_mp4(plan, storage, out, [&](double done) {
    if (terminal) std::cerr << "\rexporting " << static_cast<int>(done * 100) << " %" << std::flush;
  });
  if (terminal) std::cerr << "\n";
  exporting::write_manifest({{plan, result, out}}, manifest,
                            {recorder_id, user + " (offline export)", std::chrono::system_clock::now()}, key);
  std::cout << "exported " << out << ": " << result.video_frames << " frames, " << result.bytes << " bytes, "
            << format_rfc3339(catalog::from_micros(result.first_frame_us)) << " to "
            << format_rfc3339(catalog::from_micros(result.end_us)) << "\n";
  std::cout << "manifest " << manifest << " (signed)\n";
  for (const auto& gap : plan.gaps)
    std::cout << "gap: no footage from " << format_rfc3339(catalog::from_micros(gap.from_us)) << " to "
              << format_rfc3339(catalog::from_micros(gap.to_us)) << "\n";
  return 0;
}

int verify(const Arguments& args) {
  std::vector<std::string> files;
  std::string expected_key;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--public-key" && i + 1 < args.size()) expected_key = args[++i];
    else if (args[i].rfind("--", 0) == 0) throw UsageError("unknown argument '" + args[i] + "'");
    else files.push_back(args[i]);
  }
  if (files.size() != 2) throw UsageError("verify needs CLIP MANIFEST");
  const auto result = exporting::verify_manifest(files[0], files[1], expected_key);
  if (result.ok) {
    std::cout << "OK: " << files[0] << " is what the manifest describes (" << result.summary << ")\n";
    return 0;
  }
  for (const auto& problem : result.problems) std::cout << "FAILED: " << problem << "\n";
  return 1;
}

}  // namespace recorderctl
