// sessiond/mini_client.h: a small blocking HTTP/1.1 client over POSIX
// sockets, for sessionctl and sessiond's tests. Independent of Beast on
// purpose: the tests check the server with code that shares nothing with it,
// and can send and receive bytes that are not valid HTTP.
//
// Supports Content-Length bodies and bodies delimited by close (what
// sessiond sends); not chunked encoding. Every call is bounded by the
// connection's timeout.
//
// Thread-safety: an HttpConnection is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sessionrig/status.h"
#include "sessionrig/transport.h"  // HeaderList

namespace sessionrig::sessiond {

struct ClientResponse {
  unsigned status = 0;
  HeaderList headers;  // names as sent
  std::string body;
  bool closed = false;  // the server closed the connection after this response

  // The first header named `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

// "http://host:port/path?query" -> parts. Errors: kInvalidArgument.
struct HttpUrl {
  std::string host;
  std::uint16_t port = 80;
  std::string target;  // "/..." (at least "/")
};
[[nodiscard]] StatusOr<HttpUrl> ParseHttpUrl(std::string_view url);

class HttpConnection {
 public:
  // Connects to host:port (numeric address or name), from `source_address`
  // (a numeric IP, e.g. "127.0.0.2" to look like a second loopback client)
  // when it is not empty. Errors: kTransport.
  [[nodiscard]] static StatusOr<HttpConnection> Connect(
      const std::string& host, std::uint16_t port,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000),
      const std::string& source_address = "");

  HttpConnection(HttpConnection&& other) noexcept;
  HttpConnection& operator=(HttpConnection&& other) noexcept;
  ~HttpConnection();

  // Sends one request (adds Host, and Content-Length when a body is given
  // or the method is PUT/POST) and reads its response. Errors: kTransport
  // (including timeouts and resets), kHttpStatus for an unparsable response.
  [[nodiscard]] StatusOr<ClientResponse> Request(std::string_view method, std::string_view target,
                                                 const HeaderList& headers = {},
                                                 std::string_view body = {});

  // Raw access, for malformed traffic.
  [[nodiscard]] Status SendRaw(std::string_view bytes);
  [[nodiscard]] StatusOr<ClientResponse> ReadResponse();
  // Reads until the peer closes (or `max_bytes`); `*reset` tells whether
  // the close was a TCP reset. Errors: kTransport on timeout.
  [[nodiscard]] StatusOr<std::string> ReadUntilClose(std::size_t max_bytes, bool* reset);
  // Waits up to the connection's timeout until bytes (or a close) can be
  // read, without reading them. Errors: kTransport on timeout.
  [[nodiscard]] Status WaitReadable();

  bool is_open() const { return fd_ >= 0; }
  void Close();

 private:
  HttpConnection(int fd, std::string host, std::chrono::milliseconds timeout);
  // Reads more bytes into buffer_; 0 on orderly close. Errors: kTransport.
  StatusOr<std::size_t> Fill();

  int fd_ = -1;
  std::string host_;
  std::chrono::milliseconds timeout_;
  std::string buffer_;  // received, not yet consumed
};

}  // namespace sessionrig::sessiond
