#include "tests/support/api_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/evp.h>

namespace test_support {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string basic_auth(const std::string& user, const std::string& password) {
  const std::string plain = user + ":" + password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  out.resize(static_cast<std::size_t>(length));
  return "Basic " + out;
}

ApiAnswer api_call(int port, const ApiCall& call) {
  asio::io_context context;
  beast::tcp_stream stream(context);
  beast::error_code error;
  stream.socket().open(asio::ip::tcp::v4(), error);
  stream.socket().bind({asio::ip::make_address(call.source), 0}, error);
  stream.expires_after(std::chrono::seconds(60));
  stream.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, error);
  if (error) return {};
  http::request<http::string_body> request{http::string_to_verb(call.method), call.target, 11};
  request.set(http::field::host, "recorder");
  if (!call.authorization.empty()) request.set(http::field::authorization, call.authorization);
  if (!call.range.empty()) request.set(http::field::range, call.range);
  if (!call.body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = call.body;
  }
  request.prepare_payload();
  http::write(stream, request, error);
  if (error) return {};
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ULL << 32);
  http::read(stream, buffer, parser, error);
  if (error) return {};
  ApiAnswer answer;
  answer.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    answer.headers[name] = std::string(field.value());
  }
  answer.body = std::move(parser.get().body());
  return answer;
}

}  // namespace test_support
