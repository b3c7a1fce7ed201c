#pragma once
// The API's HTTP server (Boost.Beast): a listener, and a session per connection with a timeout on every
// read, a cap on request size and on connections, and a clean stop. It never builds responses itself:
// each request goes to a handler that does not touch the socket.

#include <atomic>
#include <boost/beast/http.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "recorder/config/config.h"

namespace recorder::api {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Reply = boost::beast::http::message_generator;
// Builds the response to one request; `remote` is the peer's address. Called on the server's thread.
using Handler = std::function<Response(const Request& request, const std::string& remote)>;

struct ServerLimits {
  std::size_t max_connections = 32;
  std::uint64_t max_request_bytes = 64 * 1024;
  std::chrono::seconds read_timeout{10};
};

class HttpServer {
 public:
  HttpServer(const config::ApiConfig& config, Handler handler, ServerLimits limits = {});
  ~HttpServer();  // stops
  // Binds and serves on a thread of its own. Throws recorder::Error when it cannot bind.
  void start();
  void stop();
  int port() const { return port_; }  // the bound port (useful when the configured one is 0)

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace recorder::api
