#include "recorder/api/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include "recorder/core/error.h"
#include "recorder/core/logging.h"

namespace recorder::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Impl {
  Impl(Handler h, ServerLimits l) : handler(std::move(h)), limits(l), acceptor(context) {}
  asio::io_context context;
  Handler handler;
  ServerLimits limits;
  tcp::acceptor acceptor;
  std::atomic<std::size_t> connections{0};
  std::shared_ptr<spdlog::logger> log = component_logger("api");
};

namespace {

Response plain_error(http::status status, unsigned version, const std::string& message) {
  Response response{status, version};
  response.set(http::field::content_type, "application/json");
  response.body() = "{\"error\":\"" + message + "\"}";
  response.prepare_payload();
  return response;
}

// One connection: read a request (with a deadline), answer it, repeat while the client keeps it alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server) : stream_(std::move(socket)), server_(server) {
    ++server_.connections;
    beast::error_code ignored;
    const auto endpoint = stream_.socket().remote_endpoint(ignored);
    remote_ = ignored ? "?" : endpoint.address().to_string();
  }
  ~Session() { --server_.connections; }

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(server_.limits.max_request_bytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(server_.limits.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_read(error); });
  }

  void on_read(beast::error_code error) {
    if (error == http::error::end_of_stream || error == beast::error::timeout || error == asio::error::eof) return close();
    if (error) {
      // A malformed or oversized request gets a clear 400/413 and the connection ends.
      const bool too_large = error == http::error::body_limit || error == http::error::header_limit;
      return write(plain_error(too_large ? http::status::payload_too_large : http::status::bad_request, 11,
                               too_large ? "request too large" : "malformed HTTP request"),
                   false);
    }
    const Request request = parser_->release();
    Response response;
    try {
      response = server_.handler(request, remote_);
    } catch (const std::exception& e) {
      server_.log->error("request {} failed: {}", std::string(request.target()), e.what());
      response = plain_error(http::status::internal_server_error, request.version(), "internal error");
    }
    write(std::move(response), request.keep_alive());
  }

  void write(Response response, bool keep_alive) {
    response.keep_alive(keep_alive);
    auto shared = std::make_shared<Response>(std::move(response));
    stream_.expires_after(server_.limits.read_timeout);
    http::async_write(stream_, *shared, [self = shared_from_this(), shared, keep_alive](beast::error_code error, std::size_t) {
      if (error || !keep_alive) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
};

void accept_next(HttpServer::Impl& server) {
  server.acceptor.async_accept(asio::make_strand(server.context), [&server](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (!error) {
      if (server.connections >= server.limits.max_connections) {
        // Too many at once: say so and close, rather than let one client starve the maintenance port.
        beast::error_code ignored;
        socket.close(ignored);
        server.log->warn("connection refused: {} connections open", server.connections.load());
      } else {
        std::make_shared<Session>(std::move(socket), server)->start();
      }
    }
    accept_next(server);
  });
}

}  // namespace

HttpServer::HttpServer(const config::ApiConfig& config, Handler handler, ServerLimits limits)
    : impl_(std::make_unique<Impl>(std::move(handler), limits)) {
  boost::system::error_code error;
  const auto address = asio::ip::make_address(config.listen_address, error);
  if (error) throw Error(ErrorKind::InvalidArgument, "api.listen: bad address " + config.listen_address);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(config.listen_port));
  impl_->acceptor.open(endpoint.protocol(), error);
  if (!error) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) impl_->acceptor.bind(endpoint, error);
  if (!error) impl_->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    throw Error(ErrorKind::Unavailable, "cannot listen on " + config.listen_address + ":" +
                                            std::to_string(config.listen_port) + ": " + error.message());
  port_ = impl_->acceptor.local_endpoint().port();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  accept_next(*impl_);
  thread_ = std::thread([this] { impl_->context.run(); });
}

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  impl_->context.stop();
  thread_.join();
}

}  // namespace recorder::api
