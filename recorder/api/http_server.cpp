#include "recorder/api/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <optional>
#include <type_traits>

#include "recorder/api/tls_context.h"
#include "recorder/core/error.h"
#include "recorder/core/logging.h"

namespace recorder::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Member order matters: the io_context destroys the sessions still queued in it, and they use everything
// declared before it; the acceptor must go before the io_context.
struct HttpServer::Impl {
  Impl(Handler h, ServerLimits l) : handler(std::move(h)), limits(l), acceptor(context) {}
  Handler handler;
  ServerLimits limits;
  std::atomic<std::size_t> connections{0};
  std::shared_ptr<spdlog::logger> log = component_logger("api");
  std::optional<asio::ssl::context> tls;  // absent: plain HTTP (api.insecure_http)
  tcp::endpoint endpoint;
  asio::io_context context;
  tcp::acceptor acceptor;
};

namespace {

// A peer that goes quiet while we write or say goodbye: give up after this long without progress.
constexpr auto tls_shutdown_timeout = std::chrono::seconds(3);

Response json_error(http::status status, unsigned version, const std::string& message) {
  Response response{status, version};
  response.set(http::field::content_type, "application/json");
  response.body() = "{\"error\":\"" + message + "\"}";
  response.keep_alive(false);
  response.prepare_payload();
  return response;
}

// The peer went away or said nothing in time: end the connection without an answer.
bool is_quiet_end(const beast::error_code& error) {
  return error == http::error::end_of_stream || error == beast::error::timeout || error == asio::error::eof ||
         error == asio::ssl::error::stream_truncated || error == asio::error::connection_reset;
}

// One connection: (TLS handshake,) read a request with a deadline, answer it, repeat while the client keeps
// it alive. `Stream` is beast::tcp_stream (plain HTTP) or beast::ssl_stream<beast::tcp_stream> (HTTPS).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  template <class... TlsContext>
  Session(tcp::socket socket, HttpServer::Impl& server, TlsContext&... tls)
      : stream_(std::move(socket), tls...), server_(server) {
    ++server_.connections;
    beast::error_code ignored;
    const auto endpoint = tcp_layer().socket().remote_endpoint(ignored);
    remote_ = ignored ? "?" : endpoint.address().to_string();
  }
  ~Session() { --server_.connections; }

  // Runs the session on its strand from the first operation on.
  void start() { asio::dispatch(tcp_layer().get_executor(), [self = this->shared_from_this()] { self->begin(); }); }

 private:
  void begin() {
    if constexpr (is_tls) {
      tcp_layer().expires_after(server_.limits.read_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code error) {
                                if (!error) return self->read();
                                // Plain HTTP to the TLS port, a scanner, garbage: not worth more than a debug line.
                                self->server_.log->debug("TLS handshake with {} failed: {}", self->remote_,
                                                         error.message());
                              });
    } else {
      read();
    }
  }

  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  void read() {
    parser_.emplace();
    parser_->body_limit(server_.limits.max_request_bytes);
    parser_->header_limit(16 * 1024);
    tcp_layer().expires_after(server_.limits.read_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code error, std::size_t) {
      self->on_read(error);
    });
  }

  void on_read(beast::error_code error) {
    if (is_quiet_end(error)) return close();
    if (error) {
      // A malformed or oversized request gets a clear 400/413 and the connection ends.
      const bool too_large = error == http::error::body_limit || error == http::error::header_limit;
      return write(Reply(json_error(too_large ? http::status::payload_too_large : http::status::bad_request, 11,
                                    too_large ? "request too large" : "malformed HTTP request")),
                   false);
    }
    const Request request = parser_->release();
    std::optional<Reply> reply;
    try {
      reply.emplace(server_.handler(request, remote_));
    } catch (const std::exception& e) {
      server_.log->error("request {} failed: {}", std::string(request.target()), e.what());
      reply.emplace(json_error(http::status::internal_server_error, request.version(), "internal error"));
    }
    const bool keep_alive = request.keep_alive() && reply->keep_alive();
    write(std::move(*reply), keep_alive);
  }

  // Writes the reply piece by piece, each under its own deadline: a large download to a slow laptop is
  // fine, a peer that stops reading is not.
  void write(Reply reply, bool keep_alive) {
    reply_.emplace(std::move(reply));
    keep_alive_ = keep_alive;
    write_some();
  }

  void write_some() {
    if (reply_->is_done()) {
      reply_.reset();
      return keep_alive_ ? read() : close();
    }
    beast::error_code error;
    const auto buffers = reply_->prepare(error);
    if (error) {
      server_.log->warn("reply to {} failed: {}", remote_, error.message());
      return close();
    }
    tcp_layer().expires_after(server_.limits.read_timeout);
    stream_.async_write_some(buffers, [self = this->shared_from_this()](beast::error_code error, std::size_t bytes) {
      if (error) return self->close();
      self->reply_->consume(bytes);
      self->write_some();
    });
  }

  void close() {
    if constexpr (is_tls) {
      // Say goodbye properly (close_notify), but never wait long for a peer that does not answer.
      tcp_layer().expires_after(tls_shutdown_timeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        self->tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
      });
    } else {
      beast::error_code ignored;
      tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  Stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<Reply> reply_;
  bool keep_alive_ = false;
  std::string remote_;
};

void accept_next(HttpServer::Impl& server) {
  server.acceptor.async_accept(asio::make_strand(server.context), [&server](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (!error) {
      if (server.connections >= server.limits.max_connections) {
        // Too many at once: close, rather than let one client starve the maintenance port.
        beast::error_code ignored;
        socket.close(ignored);
        server.log->warn("connection refused: {} connections open", server.connections.load());
      } else if (server.tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), server, *server.tls)->start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), server)->start();
      }
    }
    accept_next(server);
  });
}

}  // namespace

HttpServer::HttpServer(const config::ApiConfig& config, Handler handler, ServerLimits limits)
    : impl_(std::make_unique<Impl>(std::move(handler), limits)) {
  if (impl_->limits.threads == 0) impl_->limits.threads = 1;
  boost::system::error_code error;
  const auto address = asio::ip::make_address(config.listen_address, error);
  if (error) throw Error(ErrorKind::InvalidArgument, "api.listen: bad address " + config.listen_address);
  impl_->endpoint = tcp::endpoint(address, static_cast<unsigned short>(config.listen_port));
  if (config.tls) impl_->tls.emplace(load_tls_context(*config.tls));
}

HttpServer::~HttpServer() { stop(); }

bool HttpServer::tls() const { return impl_->tls.has_value(); }

void HttpServer::start() {
  auto& acceptor = impl_->acceptor;
  const auto& endpoint = impl_->endpoint;
  boost::system::error_code error;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    beast::error_code ignored;
    acceptor.close(ignored);
    throw Error(ErrorKind::Unavailable, "cannot listen on " + endpoint.address().to_string() + ":" +
                                            std::to_string(endpoint.port()) + ": " + error.message());
  }
  port_ = acceptor.local_endpoint().port();
  if (!impl_->tls) impl_->log->warn("serving plain HTTP: passwords and footage cross the network unencrypted");
  accept_next(*impl_);
  for (std::size_t i = 0; i < impl_->limits.threads; ++i) threads_.emplace_back([this] { impl_->context.run(); });
}

void HttpServer::stop() {
  if (threads_.empty()) return;
  impl_->context.stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace recorder::api
