#pragma once
// A raw HTTP exchange over TCP (or TLS) for tests: send exactly these bytes (optionally a few at a time), read
// until the server closes or the timeout passes. Raw on purpose: tests send malformed requests too.

#include <chrono>
#include <string>

namespace test_support {

// Returns everything the server sent back ("" if it could not connect).
std::string http_exchange(const std::string& address, int port, const std::string& request,
                          std::size_t chunk_size = 0, std::chrono::milliseconds timeout = std::chrono::seconds(5));

// The same over TLS. With `ca_cert_file`, the server's certificate must chain to it (the self-signed
// certificate itself will do) and name `address`; without, it is not checked. "" if the handshake fails.
std::string https_exchange(const std::string& address, int port, const std::string& request,
                           const std::string& ca_cert_file, std::size_t chunk_size = 0,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));

// The same, from inside the network namespace `ns` (ip netns NAME).
std::string http_exchange_in_netns(const std::string& ns, const std::string& address, int port, const std::string& request);

// "GET <path> HTTP/1.1" with Host and Connection: close (and an Authorization header if given).
std::string get_request(const std::string& path, const std::string& authorization = "");

// The status code of a raw response ("HTTP/1.1 404 Not Found..." -> 404), 0 if none.
int status_of(const std::string& response);

}  // namespace test_support
