#pragma once
// The API's TLS settings: the server's certificate and key (api.tls) loaded into an OpenSSL context.

#include <boost/asio/ssl/context.hpp>

#include "recorder/config/config.h"

namespace recorder::api {

// A TLS server context for `tls`: TLS 1.2 or newer, no compression, no renegotiation. Throws
// recorder::Error naming the file and what is wrong with it; a key readable by group or others is refused.
boost::asio::ssl::context load_tls_context(const config::TlsConfig& tls);

}  // namespace recorder::api
