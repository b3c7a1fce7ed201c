#pragma once
// A small client of the recorder's API for tests (Boost.Beast, plain HTTP on loopback): one request per
// connection, from a chosen loopback source address so that tests can play several maintenance laptops.

#include <map>
#include <string>

namespace test_support {

struct ApiAnswer {
  int status = 0;                              // 0: no answer (connection refused or closed)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& lower_case_name) const {
    const auto found = headers.find(lower_case_name);
    return found == headers.end() ? "" : found->second;
  }
};

struct ApiCall {
  std::string method = "GET";
  std::string target;
  std::string body;
  std::string authorization;   // the whole header value, e.g. "Basic ..." or "Bearer ..."
  std::string range;           // Range header, if any
  std::string source = "127.0.0.1";
};

ApiAnswer api_call(int port, const ApiCall& call);
std::string basic_auth(const std::string& user, const std::string& password);

}  // namespace test_support
