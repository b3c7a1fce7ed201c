#include "tests/support/tls_files.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdexcept>

#include "tests/support/api_rig.h"
#include "tests/support/recording_run.h"

namespace test_support {

namespace {

std::unique_ptr<X509, decltype(&X509_free)> read_certificate(const std::filesystem::path& cert) {
  std::unique_ptr<FILE, decltype(&fclose)> file(std::fopen(cert.c_str(), "r"), fclose);
  if (!file) throw std::runtime_error("cannot open " + cert.string());
  std::unique_ptr<X509, decltype(&X509_free)> x509(PEM_read_X509(file.get(), nullptr, nullptr, nullptr), X509_free);
  if (!x509) throw std::runtime_error(cert.string() + " is not a PEM certificate");
  return x509;
}

}  // namespace

recorder::config::TlsConfig add_tls_api(const std::filesystem::path& config) {
  std::ofstream(config, std::ios::app) << "api:\n  listen: 127.0.0.1:0\n  tls:\n    cert: tls/api.tls.cert\n"
                                          "    key: tls/api.tls.key\n"
                                       << api_accounts(config.parent_path());
  std::string output;
  if (run_recorderctl(config.parent_path(), {"tls", "init", "--config", config.string()}, &output) != 0)
    throw std::runtime_error("recorderctl tls init failed: " + output);
  return {config.parent_path() / "tls" / "api.tls.cert", config.parent_path() / "tls" / "api.tls.key"};
}

std::string certificate_text(const std::filesystem::path& cert) {
  const auto x509 = read_certificate(cert);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  X509_print_ex(bio.get(), x509.get(), XN_FLAG_ONELINE, 0);  // names as "CN = ...", like the tool
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string certificate_fingerprint(const std::filesystem::path& cert) {
  // The openssl tool, not the code under test's way of computing it: an independent oracle.
  const std::string command = "openssl x509 -noout -fingerprint -sha256 -in '" + cert.string() + "' 2>/dev/null";
  std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), pclose);
  std::string text;
  char buffer[256];
  while (pipe && fgets(buffer, sizeof buffer, pipe.get())) text += buffer;
  const auto equals = text.find('=');
  if (equals == std::string::npos) return "";
  text = text.substr(equals + 1);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace test_support
