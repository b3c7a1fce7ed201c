#pragma once
// The manifest that goes with every export: what was asked for, what the clip holds (range, gaps,
// SHA-256), who exported it and when, signed with the recorder's Ed25519 key (libsodium), so that anyone
// can show the clip was not altered. `recorderctl verify` checks it and says exactly what fails.

#include <filesystem>
#include <string>
#include <vector>

#include "recorder/export/export_plan.h"
#include "recorder/export/file_sha256.h"
#include "recorder/export/mp4_export.h"

namespace recorder::exporting {

// The signing key pair; the secret part never leaves this struct's owner.
struct SigningKey {
  std::vector<unsigned char> public_key;  // 32 bytes
  std::vector<unsigned char> secret_key;  // 64 bytes
};

// Reads the key at `file`, or creates it (mode 0600, synced) when there is none. Throws when the file is
// unreadable, malformed, or readable by others.
SigningKey load_or_create_signing_key(const std::filesystem::path& file);

struct ManifestFacts {
  std::string recorder_id;
  std::string exported_by;
  WallTime exported_at;
};

// One exported clip as the manifest describes it.
struct ExportedClip {
  ExportPlan plan;
  ExportResult result;
  std::filesystem::path file;  // the manifest records its name, size and SHA-256
};

// Writes the signed manifest of one export (one clip, or one per camera of an incident) to `manifest`.
void write_manifest(const std::vector<ExportedClip>& clips, const std::filesystem::path& manifest,
                    const ManifestFacts& facts, const SigningKey& key);

struct Verification {
  bool ok = false;
  std::vector<std::string> problems;  // each says what failed
  std::string summary;                // camera, range, recorder, key fingerprint
};
// Checks the clip's size and SHA-256 against the manifest's entry of that file name, and the manifest's
// signature. With
// `expected_public_key` (base64), also that it was signed by that key.
Verification verify_manifest(const std::filesystem::path& clip, const std::filesystem::path& manifest,
                             const std::string& expected_public_key = "");

}  // namespace recorder::exporting
