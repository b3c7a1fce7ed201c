#pragma once
// The API's HTTP(S) server (Boost.Beast): a listener, and a session per connection with a timeout on every
// read, a cap on request size and on connections, TLS when api.tls is configured, and a clean stop. It
// never builds responses itself: each request goes to a handler that does not touch the socket.

#include <boost/beast/http.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "recorder/config/config.h"

namespace recorder::api {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
// The JSON replies' type; it converts to a Reply with `Reply(std::move(response))`.
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// A reply of any body type (string_body for JSON, file_body for an MP4 download).
using Reply = boost::beast::http::message_generator;
// Builds the reply to one request; `remote` is the peer's address. It is called on any of the server's
// threads, for several connections at once, so it must be thread-safe; it may take seconds (an export
// remux) and holds up only its own connection. The connection stays open after the reply only if both the
// request and the reply keep it alive (so set `response.keep_alive(request.keep_alive())`).
using Handler = std::function<Reply(const Request& request, const std::string& remote)>;

struct ServerLimits {
  std::size_t max_connections = 32;
  std::uint64_t max_request_bytes = 64 * 1024;
  std::chrono::seconds read_timeout{10};  // also bounds the TLS handshake and each write without progress
  std::size_t threads = 4;                // handlers running at once; a slow export blocks one of them
};

class HttpServer {
 public:
  // With config.tls, loads the certificate chain and private key; throws recorder::Error naming the file
  // and the problem (missing, unreadable, readable by others, not PEM, key and certificate do not match).
  HttpServer(const config::ApiConfig& config, Handler handler, ServerLimits limits = {});
  ~HttpServer();  // stops
  // Binds and serves on threads of its own. Throws recorder::Error when it cannot bind.
  void start();
  void stop();
  bool tls() const;   // HTTPS, not plain HTTP
  int port() const { return port_; }  // the bound port after start() (useful when the configured one is 0)

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::vector<std::thread> threads_;
  int port_ = 0;
};

}  // namespace recorder::api
