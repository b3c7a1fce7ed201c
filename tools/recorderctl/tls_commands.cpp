// recorderctl tls init: the maintenance API's private key and self-signed certificate (api.tls), whose
// fingerprint maintenance laptops pin instead of trusting a certificate authority.

#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "recorder/config/config.h"

namespace recorderctl {

using namespace recorder;

namespace {

constexpr const char* common_name = "onboard-recorder";

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, OpenSslFree>;

[[noreturn]] void openssl_failed(const std::string& what) {
  std::string reason = "unknown OpenSSL error";
  while (const unsigned long code = ERR_get_error())
    if (const char* text = ERR_reason_error_string(code)) reason = text;
  throw Error(ErrorKind::Internal, what + ": " + reason);
}

void check(int result, const std::string& what) {
  if (result <= 0) openssl_failed(what);
}

struct InitOptions {
  std::string config_file;
  int days = 3650;
  bool force = false;
};

InitOptions parse_init(const Arguments& args) {
  InitOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      options.config_file = args[++i];
    } else if (args[i] == "--days" && i + 1 < args.size()) {
      const std::string text = args[++i];
      std::size_t used = 0;
      try {
        options.days = std::stoi(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != text.size() || options.days < 1 || options.days > 36500)
        throw UsageError("--days '" + text + "' is not a number of days from 1 to 36500");
    } else if (args[i] == "--force") {
      options.force = true;
    } else {
      throw UsageError("unknown argument '" + args[i] + "'");
    }
  }
  if (options.config_file.empty()) throw UsageError("--config FILE is required");
  return options;
}

// The subjectAltName: the address the API listens on (unless it is "any"), and localhost.
std::string subject_alt_name(const std::string& listen_address) {
  const auto address = boost::asio::ip::make_address(listen_address);
  if (address.is_unspecified()) return "DNS:localhost";
  return "IP:" + address.to_string() + ",DNS:localhost";
}

Owned<X509> self_signed_certificate(EVP_PKEY* key, const std::string& alt_name, int days) {
  Owned<X509> cert(X509_new());
  if (!cert) openssl_failed("X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3), "setting the certificate version");
  // A random 128-bit serial, positive (top bit clear), so that a re-made certificate never repeats one.
  unsigned char serial_bytes[16];
  check(RAND_bytes(serial_bytes, sizeof serial_bytes), "drawing a serial number");
  serial_bytes[0] &= 0x7f;
  const Owned<BIGNUM> serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
    openssl_failed("setting the serial number");
  // Valid from an hour ago: a laptop whose clock is a little behind still accepts a fresh certificate.
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr))
    openssl_failed("setting the validity");
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1,
                                   -1, 0),
        "setting the subject");
  check(X509_set_issuer_name(cert.get(), name), "setting the issuer");
  check(X509_set_pubkey(cert.get(), key), "setting the public key");

  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  // A server certificate only: it cannot sign other certificates, so pinning it trusts nothing else.
  const std::pair<int, std::string> extensions[] = {
      {NID_subject_alt_name, alt_name},
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_subject_key_identifier, "hash"},
  };
  for (const auto& [nid, value] : extensions) {
    const Owned<X509_EXTENSION> extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    if (!extension) openssl_failed(std::string("making the extension ") + OBJ_nid2sn(nid) + "=" + value);
    check(X509_add_ext(cert.get(), extension.get(), -1), "adding an extension");
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) openssl_failed("signing the certificate");
  return cert;
}

template <class Write>
std::string pem(Write write) {
  const Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) openssl_failed("writing PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Creates `file` (never opening an existing one: O_EXCL) with exactly `mode`, writes and syncs it.
void create_file(const std::filesystem::path& file, const std::string& bytes, mode_t mode) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw Error(ErrorKind::PermissionDenied, "cannot create " + file.string() + ": " + std::strerror(errno));
  const bool ok = fchmod(fd, mode) == 0 &&  // not what the umask left of it
                  write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) && fsync(fd) == 0;
  const int error = errno;
  close(fd);
  if (!ok) throw Error(ErrorKind::Unavailable, "cannot write " + file.string() + ": " + std::strerror(error));
}

std::string sha256_fingerprint(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  check(X509_digest(cert, EVP_sha256(), digest, &size), "computing the fingerprint");
  std::string text;
  for (unsigned int i = 0; i < size; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, i == 0 ? "%02X" : ":%02X", digest[i]);
    text += hex;
  }
  return text;
}

}  // namespace

int tls_init(const Arguments& args) {
  const auto options = parse_init(args);
  const auto api_config = load_api_config(options.config_file, "API to make a certificate for");
  if (!api_config.tls)
    throw Error(ErrorKind::InvalidArgument,
                options.config_file + ": api has no tls: block; add one naming the files to make, e.g.\n"
                                      "  tls:\n    cert: api.tls.cert\n    key: api.tls.key\n"
                                      "(and remove insecure_http)");
  const auto& files = *api_config.tls;
  for (const auto& file : {files.key, files.cert}) {
    if (!std::filesystem::exists(file)) continue;
    if (!options.force)
      throw Error(ErrorKind::InvalidArgument, file.string() + " exists: not overwriting it (--force makes a new pair; "
                                                              "laptops that pinned the old fingerprint must pin the new one)");
  }

  const Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) openssl_failed("generating an EC P-256 key");
  const std::string alt_name = subject_alt_name(api_config.listen_address);
  const auto cert = self_signed_certificate(key.get(), alt_name, options.days);
  const std::string key_pem = pem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  const std::string cert_pem = pem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()); });

  if (options.force) {
    std::filesystem::remove(files.key);
    std::filesystem::remove(files.cert);
  }
  create_file(files.key, key_pem, 0600);
  create_file(files.cert, cert_pem, 0644);
  std::cout << "wrote " << files.key.string() << " (EC P-256 private key, mode 0600)\n"
            << "wrote " << files.cert.string() << " (self-signed, CN=" << common_name << ", " << alt_name << ", valid "
            << options.days << " days)\n"
            << "SHA-256 fingerprint: " << sha256_fingerprint(cert.get()) << "\n";
  if (alt_name.rfind("IP:", 0) != 0)
    std::cout << "note: api.listen is " << api_config.listen_address
              << " (any address), so the certificate names no IP; clients must pin the fingerprint\n";
  return 0;
}

}  // namespace recorderctl
