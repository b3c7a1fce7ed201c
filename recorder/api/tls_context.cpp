#include "recorder/api/tls_context.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recorder/core/error.h"

namespace recorder::api {

namespace ssl = boost::asio::ssl;

namespace {

// What OpenSSL said last (the innermost error), without its queue numbers; clears the queue.
struct OpenSslError {
  int library = 0;
  int reason = 0;
  std::string text = "unknown OpenSSL error";
};
OpenSslError last_openssl_error() {
  OpenSslError last;
  while (const unsigned long code = ERR_get_error()) {
    last.library = ERR_GET_LIB(code);
    last.reason = ERR_GET_REASON(code);
    if (const char* text = ERR_reason_error_string(code)) last.text = text;
  }
  return last;
}

// A clear message for a file we cannot even open, before OpenSSL reports it less clearly.
void require_readable(const std::filesystem::path& file, const std::string& key) {
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    throw Error(error == ENOENT ? ErrorKind::NotFound : ErrorKind::PermissionDenied,
                key + " " + file.string() + ": cannot read it: " + std::strerror(error) +
                    (error == ENOENT ? " (`recorderctl tls init` makes a certificate and key)" : ""));
  }
  close(fd);
}

}  // namespace

ssl::context load_tls_context(const config::TlsConfig& tls) {
  require_readable(tls.cert, "api.tls.cert");
  require_readable(tls.key, "api.tls.key");
  struct stat info {};
  if (stat(tls.key.c_str(), &info) == 0 && (info.st_mode & (S_IRWXG | S_IRWXO)))
    throw Error(ErrorKind::PermissionDenied,
                "api.tls.key " + tls.key.string() + " is readable by group or others: refusing to use it (chmod 600)");

  ssl::context context(ssl::context::tls_server);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_compression | ssl::context::single_dh_use);
  SSL_CTX* native = context.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);

  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(native, tls.cert.c_str()) != 1)
    throw Error(ErrorKind::InvalidArgument, "api.tls.cert " + tls.cert.string() + ": not a usable PEM certificate: " +
                                                last_openssl_error().text);
  // OpenSSL checks the key against the certificate as it loads it; a mismatch is worth its own message.
  const bool key_loaded = SSL_CTX_use_PrivateKey_file(native, tls.key.c_str(), SSL_FILETYPE_PEM) == 1;
  const auto error = key_loaded ? OpenSslError{} : last_openssl_error();
  const bool mismatch = error.library == ERR_LIB_X509 && error.reason == X509_R_KEY_VALUES_MISMATCH;
  if (!key_loaded && !mismatch)
    throw Error(ErrorKind::InvalidArgument,
                "api.tls.key " + tls.key.string() + ": not a usable PEM private key: " + error.text);
  if (!key_loaded || SSL_CTX_check_private_key(native) != 1)
    throw Error(ErrorKind::InvalidArgument, "api.tls.key " + tls.key.string() + " does not belong to the certificate " +
                                                tls.cert.string() + " (`recorderctl tls init --force` makes a new pair)");
  return context;
}

}  // namespace recorder::api
