// sessiond/server.h: the sessiond server as a library (target
// sessionrig::sessiond). loadgen embeds it in-process on a free loopback
// port; the sessiond binary is a thin CLI around it.
//
//   ServerOptions options;                 // 127.0.0.1, free port, dev auth
//   auto server = Server::Start(options);  // StatusOr<std::unique_ptr<Server>>
//   if (!server.ok()) ...;
//   std::string url = (*server)->base_url();            // "http://127.0.0.1:PORT"
//   std::string auth = (*server)->AuthorizationFor("2533274790412345");
//   (*server)->Stop();                     // graceful; also done by ~Server
//
// Threading: Start() runs `threads` io threads (one io_context, a strand per
// connection). Every public method is thread-safe except that Stop() and
// the destructor must not run on one of the server's own io threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sessiond/auth.h"
#include "sessionrig/status.h"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace sessionrig::sessiond {

class Handler;
class Metrics;

// Every limit answers with a clear status and message (README.md).
struct Limits {
  std::size_t max_body_bytes = std::size_t{1} << 20;     // 413 above; also the JSON size limit
  std::size_t max_header_bytes = std::size_t{16} << 10;  // 431 above (request line + headers)
  std::size_t max_url_bytes = 2048;                      // 414 above
  std::uint32_t max_json_depth = 32;                     // 400 above
  std::size_t max_json_container_items = 4096;           // 400 above (items of one object/array)
  std::size_t max_json_string_bytes = std::size_t{64} << 10;  // 400 above
  std::size_t max_sessions = 100000;                          // creations beyond: 503 + Retry-After
  std::int64_t max_members_per_session = 1000;                // also caps maxMembersCount
  std::size_t max_connections = 4096;                         // beyond: 503 + Retry-After, close
  // Most connections one peer address may hold (beyond: 503, "peer_share"),
  // so that one address cannot take every slot while others are refused.
  // 0: max_connections minus max_connections / 64 (rounded down), which
  // keeps 64 of the default 4096 slots for other addresses and still lets
  // one local load generator use 4032.
  std::size_t max_connections_per_peer = 0;
  std::chrono::milliseconds idle_timeout{30000};  // keep-alive wait for a first byte; then close
  // Slow clients. The header (request line and fields, at most
  // max_header_bytes) is one small write for any real client, so it gets the
  // shorter deadline; the body (up to max_body_bytes) may legitimately take
  // longer on a slow link. Both count from the end of the previous phase, so
  // trickling bytes never extends them. Expiry: 408 and close.
  std::chrono::milliseconds header_timeout{5000};  // first byte to end of the header
  std::chrono::milliseconds body_timeout{15000};   // end of the header to end of the body
  std::chrono::milliseconds write_timeout{10000};  // writing one response; then close
  // Lingering close (as nginx's lingering_close): after a response that ends
  // the connection (413, 414, 431, 400 on malformed HTTP, 408, 503 at the
  // connection cap, Connection: close), shut down the sending side and read
  // and discard what the client still sends until it closes, so that a
  // client that writes its whole request before reading (Python's
  // http.client) reads the status instead of a reset. Bounded: at most
  // linger_max_bytes discarded, at most linger_time in all, and at most
  // linger_idle_timeout waiting for the next bytes; then close.
  std::size_t linger_max_bytes = std::size_t{16} << 20;
  std::chrono::milliseconds linger_time{5000};
  std::chrono::milliseconds linger_idle_timeout{2000};
  std::chrono::milliseconds shutdown_grace{5000};  // Stop(): wait this long for in-flight requests
  std::chrono::seconds retry_after{1};             // Retry-After of the server's own 503s, s
  std::chrono::milliseconds sweep_interval{100};   // period of the session-timeout sweep
  std::size_t store_shards = 64;                   // session map shards
};

struct ServerOptions {
  std::string listen_host = "127.0.0.1";  // an IP address; loopback by default
  std::uint16_t listen_port = 0;          // 0: a free port (see Server::port())
  std::string metrics_addr;               // "HOST:PORT" for /metrics; "" for none
  unsigned threads = 0;                   // io threads; 0: std::thread::hardware_concurrency()
  AuthMode auth = AuthMode::kDev;
  std::string secret;               // dev auth HMAC key; "" generates one (see secret())
  std::vector<std::string> inject;  // fault specs (faults.h, README.md)
  Limits limits;
  // TEST ONLY: the store applies writes whose If-Match does not match (a
  // deliberate lost-update bug for proving consistency checkers). Reachable
  // only through this field: no flag and no admin route sets it.
  bool testing_ignore_if_match = false;
  // TEST ONLY, likewise: joins and reservations beyond maxMembersCount are
  // accepted (a lobby admits a ninth player into eight seats).
  bool testing_skip_capacity_check = false;
  // TEST ONLY, likewise: every Nth accepted write (0: never) that leaves at
  // least two members silently drops one member other than the writer (an
  // acknowledged join vanishes).
  std::uint32_t testing_drop_member_every = 0;
};

class Server {
 public:
  // Binds, starts the io threads and (optionally) the metrics exposer.
  // Errors: kInvalidArgument (bad address, secret or fault spec),
  // kUnavailable (cannot bind the listener or the metrics address).
  [[nodiscard]] static StatusOr<std::unique_ptr<Server>> Start(ServerOptions options);

  // Stop()s.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Stops accepting, lets in-flight requests finish (at most
  // limits.shutdown_grace), closes idle connections, joins the io threads.
  // Idempotent. REQUIRES: not called on one of the server's io threads.
  void Stop();

  // The bound address: port() is the real port when listen_port was 0.
  std::uint16_t port() const;
  const std::string& host() const;
  // "http://HOST:PORT" (no trailing slash).
  std::string base_url() const;
  // The /metrics port, or 0 without metrics_addr.
  std::uint16_t metrics_port() const;

  AuthMode auth_mode() const;
  // The dev-auth secret in use (generated when options.secret was empty).
  const std::string& secret() const;
  // An Authorization header value for `xuid` ("XBL3.0 x=<xuid>;<token>"),
  // its dev token valid for `ttl` from now (at least; see TokenExpiryAfter).
  std::string AuthorizationFor(std::string_view xuid,
                               std::chrono::microseconds ttl = kDefaultTokenTtl) const;

  // Replaces the fault plan at run time (as PUT /admin/faults does).
  // Errors: kInvalidArgument; the old plan then stays.
  [[nodiscard]] Status SetFaults(const std::vector<std::string>& specs);
  std::vector<std::string> faults() const;

  // Metrics (the registry can be added to an embedder's exposer).
  Metrics& metrics();
  std::shared_ptr<prometheus::Registry> registry() const;
  // The request handler (its store, for tests and in-process callers).
  Handler& handler();
  // Open client connections (admitted ones: not those being refused).
  std::size_t connection_count() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The name loadgen uses for the in-process server.
using EmbeddedServer = Server;

}  // namespace sessionrig::sessiond
