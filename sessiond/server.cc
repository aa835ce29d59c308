// The Beast/Asio transport of sessiond: listener, connections, limits and
// timeouts, graceful stop. HTTP semantics live in handler.cc.
#include "sessiond/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "sessiond/handler.h"
#include "sessiond/log.h"
#include "sessiond/metrics.h"

namespace sessionrig::sessiond {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;

// Bytes read per read_some while waiting for a request's first bytes.
constexpr std::size_t kFirstReadBytes = 4096;
// Largest read buffer an idle keep-alive connection keeps, bytes.
constexpr std::size_t kKeepBufferBytes = 16384;
// Bytes read (and discarded) per read_some during a lingering close.
constexpr std::size_t kLingerReadBytes = 16384;
// Pause before accepting again after accept() failed (e.g. EMFILE), ms.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

bool IsLoopback(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

// The peer address as one key per host: an IPv4-mapped IPv6 address is its
// IPv4 address.
std::string PeerKey(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

std::size_t PerPeerLimit(const Limits& limits) {
  if (limits.max_connections_per_peer > 0) return limits.max_connections_per_peer;
  // Below 64 slots nothing is reserved (a cap that small is a test's).
  return std::max<std::size_t>(1, limits.max_connections - limits.max_connections / 64);
}

}  // namespace

class Connection;

struct Server::Impl {
  explicit Impl(ServerOptions o) : options(std::move(o)) {}

  // Constant after Start().
  ServerOptions options;
  std::uint16_t port = 0;
  std::uint16_t metrics_port = 0;
  std::size_t per_peer_limit = 1;
  // One io thread: connections run on the io_context itself (its one thread
  // is an implicit strand) instead of a strand each.
  bool single_thread = false;

  // Outlive every connection (declared before ioc, destroyed after it).
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<Handler> handler;
  std::unique_ptr<prometheus::Exposer> exposer;

  // Live connections, for graceful stop, and the admission counts.
  std::mutex conns_mu;
  std::condition_variable conns_cv;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> conns;  // Guarded by conns_mu
  std::size_t admitted = 0;                                          // Guarded by conns_mu
  std::unordered_map<std::string, std::size_t>
      peer_conns;                             // admitted, by peer; Guarded by conns_mu
  std::atomic<std::size_t> conn_count{0};     // == admitted, readable without the lock
  std::atomic<std::size_t> refused_count{0};  // refused connections still open (answering)
  std::atomic<bool> stopping{false};

  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;  // runs on accept_strand
  std::optional<asio::steady_timer> accept_retry;
  std::optional<asio::steady_timer> sweep_timer;
  std::vector<std::thread> threads;
  std::once_flag stop_once;

  void Accept();
  void ScheduleSweep();
  void RunIoThread();
  void StopNow();
};

// One client connection: reads requests, hands them to the Handler, writes
// responses. Every handler runs on the connection's strand (with one io
// thread, the io_context's thread).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `refusal`: set when the connection is refused (answered 503 and closed);
  // otherwise it was admitted and counts against its peer's share.
  Connection(tcp::socket&& socket, Server::Impl* server, std::string peer,
             std::optional<ConnectionRejectReason> refusal)
      : stream_(std::move(socket)),
        delay_timer_(stream_.get_executor()),
        request_timer_(stream_.get_executor()),
        server_(server),
        peer_(std::move(peer)),
        refusal_(refusal) {
    if (refusal_) server_->refused_count.fetch_add(1, std::memory_order_relaxed);
  }

  ~Connection() {
    std::lock_guard<std::mutex> lock(server_->conns_mu);
    server_->conns.erase(this);
    if (refusal_) {
      server_->refused_count.fetch_sub(1, std::memory_order_relaxed);
    } else {
      --server_->admitted;
      server_->conn_count.fetch_sub(1, std::memory_order_relaxed);
      auto it = server_->peer_conns.find(peer_);
      if (it != server_->peer_conns.end() && --it->second == 0) server_->peer_conns.erase(it);
    }
    server_->conns_cv.notify_all();
  }

  // Registers and starts reading (or answers the refusal).
  void Start() {
    {
      std::lock_guard<std::mutex> lock(server_->conns_mu);
      server_->conns.emplace(this, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      ErrorCode ec;
      self->stream_.socket().set_option(tcp::no_delay(true), ec);
      const auto peer = self->stream_.socket().remote_endpoint(ec);
      self->loopback_peer_ = !ec && IsLoopback(peer.address());
      if (self->refusal_ == ConnectionRejectReason::kPeerShare) {
        self->SendErrorAndClose(503, "too many connections from " + self->peer_ + " (at most " +
                                         std::to_string(self->server_->per_peer_limit) +
                                         " per address)");
        return;
      }
      if (self->refusal_ || self->server_->stopping.load()) {
        self->SendErrorAndClose(503, "too many connections");
        return;
      }
      self->WaitForRequest();
    });
  }

  // Graceful stop: finish the request in flight, then close; close now if
  // idle or lingering.
  void Shutdown() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->shutting_down_ = true;
      if (self->state_ == State::kIdle || self->state_ == State::kLingering) {
        self->Close(/*reset=*/false);
      }
    });
  }

 private:
  enum class State { kIdle, kReading, kHandling, kWriting, kLingering, kClosed };
  // Which deadline a request being read is under.
  enum class Phase { kHeader, kBody };

  const Limits& limits() const { return server_->options.limits; }

  // Keep-alive wait for the first bytes of the next request (idle timeout).
  void WaitForRequest() {
    if (shutting_down_) return Close(false);
    // An idle connection keeps nothing of the last exchange: thousands of
    // keep-alive connections would otherwise each hold a session document
    // and a buffer as large as the largest request they carried.
    response_ = HttpResponse{};
    document_.reset();
    wire_ = WireBytes{};
    parser_.reset();
    if (buffer_.size() > 0) return ReadRequest();  // pipelined bytes already here
    if (buffer_.capacity() > kKeepBufferBytes) buffer_.shrink_to_fit();
    state_ = State::kIdle;
    stream_.expires_after(limits().idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](ErrorCode ec, std::size_t n) {
                              if (ec) return self->Close(false);
                              self->buffer_.commit(n);
                              self->ReadRequest();
                            });
  }

  // Arms request_timer_ for `phase`. Our own timer, not the stream's: on
  // expiry it cancels the read but keeps the socket open, so the client
  // still gets a 408.
  void ArmRequestTimer(Phase phase) {
    phase_ = phase;
    const std::uint64_t seq = ++read_seq_;
    request_timer_.expires_after(phase == Phase::kHeader ? limits().header_timeout
                                                         : limits().body_timeout);
    request_timer_.async_wait([self = shared_from_this(), seq](ErrorCode ec) {
      if (ec || self->read_seq_ != seq || self->state_ != State::kReading) return;
      self->request_timed_out_ = true;
      ErrorCode cancel_ec;
      self->stream_.socket().cancel(cancel_ec);
    });
  }

  // The header must arrive within header_timeout of its first byte, then the
  // body within body_timeout (slowloris).
  void ReadRequest() {
    state_ = State::kReading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
        limits().max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(limits().max_body_bytes);
    stream_.expires_never();
    request_timed_out_ = false;
    ArmRequestTimer(Phase::kHeader);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](ErrorCode ec, std::size_t) { self->OnHeader(ec); });
  }

  void OnHeader(ErrorCode ec) {
    if (ec || request_timed_out_) return OnRead(ec);
    if (parser_->is_done()) return OnRead(ec);  // no body, or all of it already buffered
    ArmRequestTimer(Phase::kBody);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](ErrorCode read_ec, std::size_t) { self->OnRead(read_ec); });
  }

  void OnRead(ErrorCode ec) {
    request_timer_.cancel();
    if (request_timed_out_) {
      const bool header = phase_ == Phase::kHeader;
      server_->metrics->ConnectionRejected(header ? ConnectionRejectReason::kHeaderTimeout
                                                  : ConnectionRejectReason::kBodyTimeout);
      const auto limit = header ? limits().header_timeout : limits().body_timeout;
      return SendErrorAndClose(408, std::string(header ? "request header" : "request body") +
                                        " not complete within " + std::to_string(limit.count()) +
                                        " ms");
    }
    if (ec == http::error::body_limit) {
      return SendErrorAndClose(
          413, "body exceeds " + std::to_string(limits().max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      // The parser sets the target once the request line is complete; without
      // one, the request line (the URL) is what is too long.
      if (parser_->get().target().empty()) {
        return SendErrorAndClose(
            414, "request line exceeds " + std::to_string(limits().max_header_bytes) + " bytes");
      }
      return SendErrorAndClose(
          431, "request header exceeds " + std::to_string(limits().max_header_bytes) + " bytes");
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == asio::error::broken_pipe) {
      return Close(false);
    }
    if (ec) return SendErrorAndClose(400, "malformed HTTP request: " + ec.message());

    state_ = State::kHandling;
    received_at_ = std::chrono::steady_clock::now();
    HttpRequest request = parser_->release();
    method_.assign(request.method_string().data(), request.method_string().size());
    HandlerResult result;
    try {
      RequestInfo info;
      info.peer_is_loopback = loopback_peer_;
      info.received_at = received_at_;
      info.verified = &verified_;
      info.share_document = true;
      result = server_->handler->HandleRequest(request, info);
    } catch (const std::exception& e) {
      LogLine("error", "request handler threw", {{"what", e.what()}});
      result = HandlerResult{};
      result.response.result(500);
      result.response.version(request.version());
      result.response.body() = "internal error\n";
      result.response.prepare_payload();
    }
    response_ = std::move(result.response);
    document_ = std::move(result.document);
    wire_fault_ = result.wire_fault;
    keep_alive_ = response_.keep_alive() && !shutting_down_ && !server_->stopping.load();
    response_.keep_alive(keep_alive_);
    if (result.delay.count() > 0) {
      delay_timer_.expires_after(result.delay);
      delay_timer_.async_wait([self = shared_from_this()](ErrorCode) { self->Write(); });
      return;
    }
    Write();
  }

  void Write() {
    state_ = State::kWriting;
    if (shutting_down_ && keep_alive_) {  // Stop() began while this request was in flight
      keep_alive_ = false;
      response_.keep_alive(false);
    }
    stream_.expires_after(limits().write_timeout);
    if (wire_fault_ != WireFault::kNone) {
      wire_ = RenderWire(response_, wire_fault_);
      if (wire_.after == WireBytes::After::kKeepAlive && !keep_alive_) {
        wire_.after = WireBytes::After::kClose;
      }
      asio::async_write(stream_, asio::buffer(wire_.bytes),
                        [self = shared_from_this()](ErrorCode ec, std::size_t) {
                          self->Record();
                          if (ec || self->wire_.after == WireBytes::After::kClose)
                            return self->Close(false);
                          if (self->wire_.after == WireBytes::After::kReset)
                            return self->Close(true);
                          self->WaitForRequest();
                        });
      return;
    }
    // The head rendered into the connection's buffer (the bytes Beast's
    // serializer would write), then head and body in one gathered write.
    head_.clear();
    AppendResponseHead(response_, &head_);
    const std::array<asio::const_buffer, 2> buffers = {
        asio::buffer(head_),
        asio::buffer(document_ != nullptr ? std::string_view(*document_)
                                          : std::string_view(response_.body()))};
    asio::async_write(stream_, buffers, [self = shared_from_this()](ErrorCode ec, std::size_t) {
      self->Record();
      if (ec) return self->Close(false);
      if (!self->keep_alive_) return self->LingerThenClose();
      self->WaitForRequest();
    });
  }

  void Record() {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - received_at_).count();
    server_->metrics->RecordRequest(method_, response_.result_int(), seconds);
  }

  // For requests that never reached the handler: answer and close.
  void SendErrorAndClose(unsigned status, std::string message) {
    state_ = State::kHandling;
    received_at_ = std::chrono::steady_clock::now();
    method_ = "OTHER";
    response_ = HttpResponse{};
    document_.reset();
    response_.version(11);
    response_.result(status);
    response_.set(http::field::server, "sessiond");
    response_.set(http::field::content_type, "text/plain; charset=utf-8");
    if (status == 503) {
      response_.set(http::field::retry_after, std::to_string(limits().retry_after.count()));
    }
    response_.body() = std::move(message) + "\n";
    response_.keep_alive(false);
    response_.prepare_payload();
    keep_alive_ = false;
    wire_fault_ = WireFault::kNone;
    Write();
  }

  // The lingering close (Limits::linger_*): the response is written; stop
  // sending, then read and discard until the client closes or a bound is
  // reached. Closing with unread bytes would make the kernel answer them
  // with a reset, which can destroy the response before the client reads
  // it. Refused connections linger only while there are at most
  // max_connections of them, so a flood cannot pile up sockets.
  void LingerThenClose() {
    if (shutting_down_ || server_->stopping.load() || limits().linger_time.count() <= 0 ||
        (refusal_ &&
         server_->refused_count.load(std::memory_order_relaxed) > limits().max_connections)) {
      return Close(false);
    }
    state_ = State::kLingering;
    ErrorCode ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close(false);
    linger_until_ = std::chrono::steady_clock::now() + limits().linger_time;
    linger_bytes_ = 0;
    buffer_.clear();
    LingerRead();
  }

  void LingerRead() {
    const auto left = linger_until_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero() ||
        linger_bytes_ >= limits().linger_max_bytes) {
      return Close(false);
    }
    stream_.expires_after(
        std::min<std::chrono::steady_clock::duration>(left, limits().linger_idle_timeout));
    const std::size_t want =
        std::min<std::size_t>(kLingerReadBytes, limits().linger_max_bytes - linger_bytes_);
    // prepare() without commit(): the bytes are discarded and the buffer's
    // storage is reused by every read.
    stream_.async_read_some(buffer_.prepare(want),
                            [self = shared_from_this()](ErrorCode ec, std::size_t n) {
                              if (ec) return self->Close(false);  // EOF, timeout, reset, stop
                              self->linger_bytes_ += n;
                              self->LingerRead();
                            });
  }

  void Close(bool reset) {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    ErrorCode ec;
    tcp::socket& socket = stream_.socket();
    if (reset) {
      socket.set_option(asio::socket_base::linger(true, 0), ec);
    } else {
      socket.shutdown(tcp::socket::shutdown_send, ec);
    }
    socket.close(ec);
    delay_timer_.cancel();
    request_timer_.cancel();
  }

  beast::tcp_stream stream_;
  asio::steady_timer delay_timer_;    // holds a response for injected latency / stall
  asio::steady_timer request_timer_;  // header/body deadline of the request being read
  Server::Impl* const server_;
  const std::string peer_;  // the peer address (PeerKey)
  const std::optional<ConnectionRejectReason> refusal_;

  // Accessed only on the strand.
  std::uint64_t read_seq_ = 0;  // deadlines armed; ties request_timer_ to one phase
  bool request_timed_out_ = false;
  Phase phase_ = Phase::kHeader;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  State state_ = State::kIdle;
  bool loopback_peer_ = false;
  VerifiedToken verified_;  // the last token this connection's requests verified
  std::string head_;        // the response head being written (reused)
  bool shutting_down_ = false;
  bool keep_alive_ = false;
  std::string method_;
  std::chrono::steady_clock::time_point received_at_;
  HttpResponse response_;
  // The body when set: the session's cached bytes (HandlerResult::document).
  std::shared_ptr<const std::string> document_;
  WireFault wire_fault_ = WireFault::kNone;
  WireBytes wire_;
  std::chrono::steady_clock::time_point linger_until_;
  std::size_t linger_bytes_ = 0;  // discarded while lingering
};

void Server::Impl::Accept() {
  const asio::any_io_executor executor = single_thread
                                             ? asio::any_io_executor(ioc.get_executor())
                                             : asio::any_io_executor(asio::make_strand(ioc));
  acceptor->async_accept(executor, [this](ErrorCode ec, tcp::socket socket) {
    if (stopping.load()) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      LogLine("warn", "accept failed", {{"error", ec.message()}});
      accept_retry->expires_after(kAcceptRetryDelay);
      accept_retry->async_wait([this](ErrorCode wait_ec) {
        if (!wait_ec) Accept();
      });
      return;
    }
    ErrorCode peer_ec;
    const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
    std::string key = peer_ec ? std::string() : PeerKey(peer.address());
    std::optional<ConnectionRejectReason> refusal;
    {
      std::lock_guard<std::mutex> lock(conns_mu);
      if (admitted >= options.limits.max_connections) {
        refusal = ConnectionRejectReason::kMaxConnections;
      } else {
        std::size_t& held = peer_conns[key];
        if (held >= per_peer_limit) {
          refusal = ConnectionRejectReason::kPeerShare;
        } else {
          ++held;
          ++admitted;
          conn_count.fetch_add(1, std::memory_order_relaxed);
        }
      }
    }
    if (refusal) metrics->ConnectionRejected(*refusal);
    std::make_shared<Connection>(std::move(socket), this, std::move(key), refusal)->Start();
    Accept();
  });
}

void Server::Impl::ScheduleSweep() {
  sweep_timer->expires_after(options.limits.sweep_interval);
  sweep_timer->async_wait([this](ErrorCode ec) {
    if (ec || stopping.load()) return;
    handler->store().Sweep(std::chrono::steady_clock::now());
    ScheduleSweep();
  });
}

void Server::Impl::RunIoThread() {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      LogLine("error", "io thread caught an exception", {{"what", e.what()}});
    }
  }
}

void Server::Impl::StopNow() {
  stopping.store(true);
  asio::post(acceptor->get_executor(), [this] {
    ErrorCode ec;
    acceptor->close(ec);
    accept_retry->cancel();
  });
  asio::post(sweep_timer->get_executor(), [this] { sweep_timer->cancel(); });
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard<std::mutex> lock(conns_mu);
    for (auto& [ptr, weak] : conns) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
  }
  for (auto& c : live) c->Shutdown();
  live.clear();
  {
    std::unique_lock<std::mutex> lock(conns_mu);
    conns_cv.wait_for(lock, options.limits.shutdown_grace, [this] { return conns.empty(); });
  }
  work.reset();
  ioc.stop();
  for (std::thread& t : threads) t.join();
  threads.clear();
  exposer.reset();
}

StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  ServerOptions& o = impl->options;
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  if (o.auth == AuthMode::kDev) {
    if (o.secret.empty()) {
      auto secret = GenerateSecret();
      if (!secret.ok()) return secret.status();
      o.secret = std::move(secret).value();
    }
    if (o.secret.size() < kMinSecretBytes) {
      return Status(StatusCode::kInvalidArgument, "dev auth secret must be at least " +
                                                      std::to_string(kMinSecretBytes) + " bytes");
    }
  }
  const Limits& l = o.limits;
  if (l.max_connections == 0 || l.idle_timeout.count() <= 0 || l.header_timeout.count() <= 0 ||
      l.body_timeout.count() <= 0 || l.write_timeout.count() <= 0 ||
      l.linger_idle_timeout.count() <= 0 || l.linger_time.count() < 0) {
    return Status(StatusCode::kInvalidArgument,
                  "limits: max_connections and the idle, header, body, write and linger-idle "
                  "timeouts must be positive (linger_time may be 0: no lingering close)");
  }
  impl->per_peer_limit = PerPeerLimit(l);
  impl->single_thread = o.threads == 1;
  ErrorCode ec;
  const asio::ip::address address = asio::ip::make_address(o.listen_host, ec);
  if (ec) {
    return Status(StatusCode::kInvalidArgument,
                  "listen address \"" + o.listen_host + "\" is not an IP address");
  }

  impl->metrics = std::make_unique<Metrics>();
  HandlerOptions h;
  h.auth_mode = o.auth;
  h.secret = o.secret;
  h.json_limits.max_bytes = o.limits.max_body_bytes;
  h.json_limits.max_depth = o.limits.max_json_depth;
  h.json_limits.max_container_items = o.limits.max_json_container_items;
  h.json_limits.max_string_bytes = o.limits.max_json_string_bytes;
  h.max_url_bytes = o.limits.max_url_bytes;
  h.retry_after = o.limits.retry_after;
  h.store.shards = o.limits.store_shards;
  h.store.max_sessions = o.limits.max_sessions;
  h.store.max_members_per_session = o.limits.max_members_per_session;
  h.store.testing_ignore_if_match = o.testing_ignore_if_match;
  h.store.testing_skip_capacity_check = o.testing_skip_capacity_check;
  h.store.testing_drop_member_every = o.testing_drop_member_every;
  impl->handler = std::make_unique<Handler>(std::move(h), impl->metrics.get());
  if (Status s = impl->handler->SetFaults(o.inject); !s.ok()) return s;

  impl->acceptor.emplace(asio::make_strand(impl->ioc));
  tcp::acceptor& acceptor = *impl->acceptor;
  const tcp::endpoint endpoint(address, o.listen_port);
  const std::string where = o.listen_host + ":" + std::to_string(o.listen_port);
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return Status(StatusCode::kUnavailable,
                  "cannot open a socket for " + where + ": " + ec.message());
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) {
    return Status(StatusCode::kUnavailable, "cannot bind " + where + ": " + ec.message());
  }
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Status(StatusCode::kUnavailable, "cannot listen on " + where + ": " + ec.message());
  }
  impl->port = acceptor.local_endpoint(ec).port();
  impl->accept_retry.emplace(acceptor.get_executor());
  impl->sweep_timer.emplace(asio::make_strand(impl->ioc));

  if (!o.metrics_addr.empty()) {
    try {
      impl->exposer = std::make_unique<prometheus::Exposer>(o.metrics_addr, 1);
      impl->exposer->RegisterCollectable(impl->metrics->registry());
      const std::vector<int> ports = impl->exposer->GetListeningPorts();
      impl->metrics_port = ports.empty() ? 0 : static_cast<std::uint16_t>(ports.front());
    } catch (const std::exception& e) {
      return Status(StatusCode::kUnavailable,
                    "cannot serve metrics on " + o.metrics_addr + ": " + e.what());
    }
  }

  impl->work.emplace(impl->ioc.get_executor());
  impl->Accept();
  impl->ScheduleSweep();
  Impl* raw = impl.get();
  for (unsigned i = 0; i < o.threads; ++i)
    impl->threads.emplace_back([raw] { raw->RunIoThread(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

void Server::Stop() {
  std::call_once(impl_->stop_once, [this] { impl_->StopNow(); });
}

std::uint16_t Server::port() const { return impl_->port; }
const std::string& Server::host() const { return impl_->options.listen_host; }
std::string Server::base_url() const {
  const std::string& h = impl_->options.listen_host;
  const bool v6 = h.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + h + "]" : h) + ":" + std::to_string(impl_->port);
}
std::uint16_t Server::metrics_port() const { return impl_->metrics_port; }
AuthMode Server::auth_mode() const { return impl_->options.auth; }
const std::string& Server::secret() const { return impl_->options.secret; }
std::string Server::AuthorizationFor(std::string_view xuid, std::chrono::microseconds ttl) const {
  return DevAuthorizationHeader(impl_->options.secret, xuid,
                                TokenExpiryAfter(ttl, std::chrono::system_clock::now()));
}
Status Server::SetFaults(const std::vector<std::string>& specs) {
  return impl_->handler->SetFaults(specs);
}
std::vector<std::string> Server::faults() const { return impl_->handler->faults(); }
Metrics& Server::metrics() { return *impl_->metrics; }
std::shared_ptr<prometheus::Registry> Server::registry() const {
  return impl_->metrics->registry();
}
Handler& Server::handler() { return *impl_->handler; }
std::size_t Server::connection_count() const {
  return impl_->conn_count.load(std::memory_order_relaxed);
}

}  // namespace sessionrig::sessiond
