#pragma once
// TLS files for tests: a recorder configuration served over HTTPS whose key and certificate the real
// `recorderctl tls init` made, and what a certificate says (read with OpenSSL, not trusted blindly).

#include <filesystem>
#include <string>

#include "recorder/config/config.h"

namespace test_support {

// Appends an api: block (listen 127.0.0.1:0, tls files under <config dir>/tls/) to `config` and runs
// `recorderctl tls init` on it; returns the files. Throws std::runtime_error if the tool fails.
recorder::config::TlsConfig add_tls_api(const std::filesystem::path& config);

// The certificate as `openssl x509 -noout -text` prints it.
std::string certificate_text(const std::filesystem::path& cert);

// Its SHA-256 fingerprint, "AB:CD:..." (as `openssl x509 -fingerprint -sha256` prints it).
std::string certificate_fingerprint(const std::filesystem::path& cert);

}  // namespace test_support
