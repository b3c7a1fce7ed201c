#include "recorder/export/manifest.h"

#include <boost/json.hpp>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <sodium.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace recorder::exporting {
namespace {

namespace json = boost::json;

void init_sodium() {
  if (sodium_init() < 0) throw Error(ErrorKind::Internal, "libsodium could not be initialised");
}

std::string base64(const std::vector<unsigned char>& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::vector<unsigned char>> unbase64(const std::string& text, std::size_t expected) {
  std::vector<unsigned char> bytes(expected);
  std::size_t length = 0;
  if (sodium_base642bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 || length != expected)
    return std::nullopt;
  return bytes;
}

std::string fingerprint(const std::vector<unsigned char>& public_key) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, public_key.data(), public_key.size());
  std::string hex;
  for (int i = 0; i < 8; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::string rfc3339_us(catalog::Micros at) { return format_rfc3339(catalog::from_micros(at)); }

// The signed bytes: the manifest without its signature, serialised (Boost.JSON keeps the key order).
std::string signed_bytes(json::object manifest) {
  manifest.erase("signature");
  return json::serialize(manifest);
}

}  // namespace

SigningKey load_or_create_signing_key(const std::filesystem::path& file) {
  init_sodium();
  SigningKey key{std::vector<unsigned char>(crypto_sign_PUBLICKEYBYTES), std::vector<unsigned char>(crypto_sign_SECRETKEYBYTES)};
  struct stat info {};
  if (stat(file.c_str(), &info) == 0) {
    if (info.st_mode & (S_IRWXG | S_IRWXO))
      throw Error(ErrorKind::PermissionDenied, file.string() + " is readable by others: refusing to sign with it (chmod 600)");
    std::ifstream in(file, std::ios::binary);
    in.read(reinterpret_cast<char*>(key.secret_key.data()), static_cast<std::streamsize>(key.secret_key.size()));
    if (in.gcount() != static_cast<std::streamsize>(key.secret_key.size()) || in.peek() != EOF)
      throw Error(ErrorKind::DataLoss, file.string() + " is not an Ed25519 secret key");
    crypto_sign_ed25519_sk_to_pk(key.public_key.data(), key.secret_key.data());
    return key;
  }
  crypto_sign_keypair(key.public_key.data(), key.secret_key.data());
  std::filesystem::create_directories(file.parent_path());
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ErrorKind::PermissionDenied, "cannot create the signing key " + file.string());
  const bool ok = write(fd, key.secret_key.data(), key.secret_key.size()) == static_cast<ssize_t>(key.secret_key.size()) &&
                  fsync(fd) == 0;
  close(fd);
  if (!ok) throw Error(ErrorKind::Unavailable, "cannot write the signing key " + file.string());
  return key;
}

void write_manifest(const std::vector<ExportedClip>& clips, const std::filesystem::path& manifest_path,
                    const ManifestFacts& facts, const SigningKey& key) {
  json::object manifest;
  manifest["format"] = "onboard-recorder-export-manifest/1";
  manifest["recorder_id"] = facts.recorder_id;
  json::array entries;
  for (const auto& clip : clips) {
    json::array gaps;
    for (const auto& gap : clip.plan.gaps)
      gaps.push_back(json::object{{"from", rfc3339_us(gap.from_us)}, {"to", rfc3339_us(gap.to_us)}});
    entries.push_back(json::object{
        {"camera", clip.plan.camera_id},
        {"requested", {{"from", rfc3339_us(clip.plan.from_us)}, {"to", rfc3339_us(clip.plan.to_us)}}},
        {"actual", {{"from", rfc3339_us(clip.result.first_frame_us)}, {"to", rfc3339_us(clip.result.end_us)}}},
        {"gaps", std::move(gaps)},
        {"file",
         {{"name", clip.file.filename().string()},
          {"bytes", static_cast<std::int64_t>(std::filesystem::file_size(clip.file))},
          {"sha256", sha256_of_file(clip.file)}}}});
  }
  manifest["clips"] = std::move(entries);
  manifest["exported_by"] = facts.exported_by;
  manifest["exported_at"] = format_rfc3339(facts.exported_at);
  manifest["public_key"] = base64(key.public_key);
  const std::string bytes = signed_bytes(manifest);
  std::vector<unsigned char> signature(crypto_sign_BYTES);
  crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                       key.secret_key.data());
  manifest["signature"] = base64(signature);
  std::ofstream out(manifest_path, std::ios::trunc);
  out << json::serialize(manifest) << "\n";
  if (!out.flush()) throw Error(ErrorKind::Unavailable, "cannot write " + manifest_path.string());
}

namespace {
// The manifest's entry for the clip file named `name`, or nullptr.
const json::object* clip_entry(const json::object& manifest, const std::string& name) {
  const auto* clips = manifest.if_contains("clips");
  if (!clips || !clips->is_array()) return nullptr;
  for (const auto& clip : clips->as_array()) {
    const auto* file = clip.is_object() ? clip.as_object().if_contains("file") : nullptr;
    const auto* file_name = file && file->is_object() ? file->as_object().if_contains("name") : nullptr;
    if (file_name && file_name->is_string() && file_name->as_string() == name) return &clip.as_object();
  }
  return nullptr;
}

std::string text_at(const json::object* object, std::initializer_list<const char*> path) {
  const json::value* value = nullptr;
  for (const char* key : path) {
    if (!object) return "";
    value = object->if_contains(key);
    object = value && value->is_object() ? &value->as_object() : nullptr;
  }
  return value && value->is_string() ? std::string(value->as_string()) : "";
}
}  // namespace

Verification verify_manifest(const std::filesystem::path& clip, const std::filesystem::path& manifest_path,
                             const std::string& expected_public_key) {
  init_sodium();
  Verification v;
  std::ifstream in(manifest_path);
  std::stringstream text;
  text << in.rdbuf();
  json::object manifest;
  try {
    manifest = json::parse(text.str()).as_object();
  } catch (const std::exception& e) {
    v.problems.push_back("the manifest is not valid JSON: " + std::string(e.what()));
    return v;
  }
  auto field = [&](const char* name) -> std::string {
    const auto* value = manifest.if_contains(name);
    return value && value->is_string() ? std::string(value->as_string()) : std::string();
  };
  const json::object* clip_facts = clip_entry(manifest, clip.filename().string());
  const std::string expected_hash = text_at(clip_facts, {"file", "sha256"});
  if (!clip_facts) v.problems.push_back("the manifest lists no clip named " + clip.filename().string());
  else if (expected_hash.empty()) v.problems.push_back("the manifest names no SHA-256 for the clip");
  else if (!std::filesystem::exists(clip)) v.problems.push_back("the clip " + clip.string() + " does not exist");
  else if (sha256_of_file(clip) != expected_hash)
    v.problems.push_back("the clip's SHA-256 differs from the manifest's: the clip was altered or is another file");

  const auto public_key = unbase64(field("public_key"), crypto_sign_PUBLICKEYBYTES);
  const auto signature = unbase64(field("signature"), crypto_sign_BYTES);
  if (!public_key || !signature) {
    v.problems.push_back("the manifest has no valid public_key and signature");
  } else {
    const std::string bytes = signed_bytes(manifest);
    if (crypto_sign_verify_detached(signature->data(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                                    public_key->data()) != 0)
      v.problems.push_back("the signature does not match: the manifest was altered after signing");
    if (!expected_public_key.empty() && field("public_key") != expected_public_key)
      v.problems.push_back("signed by key " + fingerprint(*public_key) + ", not by the expected key");
  }
  v.ok = v.problems.empty();
  v.summary = fmt::format("camera {} from recorder {}, {} to {}, key {}", text_at(clip_facts, {"camera"}),
                          field("recorder_id"), text_at(clip_facts, {"actual", "from"}),
                          text_at(clip_facts, {"actual", "to"}), public_key ? fingerprint(*public_key) : "?");
  return v;
}

}  // namespace recorder::exporting
