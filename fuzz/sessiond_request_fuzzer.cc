// fuzz/sessiond_request_fuzzer.cc: raw HTTP request bytes through sessiond's
// request handling, in-process and without sockets: Beast's request parser
// configured as server.cc configures it, then Handler::HandleRequest, then
// RenderWire for the injected wire faults.
//
// Input: the bytes a client sends on one connection (one request or several
// pipelined ones), followed by one trailer byte read from the END:
//   bit0   dev auth (secret kSecret below; seeds carry valid tokens), else none
//   bit1   the peer is not loopback (admin routes refused)
//   bit2   finish with a store Sweep a day later (timeouts fire)
//   bits 4-5  store max_sessions (0: the server default, else 1..3)
//   bits 6-7  max members per session (0: the server default, else 1..3)
// A fresh Handler per input, so inputs are independent. Requests are handled
// in order until the input ends, a request is malformed or incomplete (the
// server would answer 400/408/413/431 and close), or a response closes.
//
// Invariants: no crash or sanitizer report, and every response is well
// formed: a known status; Beast serialises it and parses it back to the same
// status and body with nothing left over, and AppendResponseHead plus the
// body are the same bytes (what the transport writes); Content-Length matches; its HTTP
// version is the request's; no 500 unless a fault plan is installed;
// 200/201/412 session documents carry a strong ETag and application/json,
// and the body is a document ValidateDocument accepts. Wire faults render to
// bytes that do what faults.h says (truncated/reset: incomplete; bad_etag:
// the ETag is not strong). Every session document served must also parse
// with the core's client parser (ParseWriteResponse, default limits): sessiond
// refuses writes whose result clients could not read (400, or 413 for size).
// SESSIONRIG_FUZZ_TRACE=1 prints every request and its status.
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "sessiond/handler.h"
#include "sessiond/merge.h"
#include "sessiond/server.h"
#include "sessionrig/json_codec.h"
#include "sessionrig/response_parser.h"

namespace sessionrig::fuzz {
namespace {

namespace http = boost::beast::http;
using sessiond::HttpRequest;
using sessiond::HttpResponse;

constexpr char kSecret[] = "sessionrig-fuzz-secret-0123456789";

// SESSIONRIG_FUZZ_TRACE=1 prints each request's route and status (for
// checking what a seed exercises).
bool Trace() {
  static const bool on = [] {
    // The fuzzer's one thread reads it once.
    const char* v = std::getenv("SESSIONRIG_FUZZ_TRACE");  // NOLINT(concurrency-mt-unsafe)
    return v != nullptr && std::string_view(v) == "1";
  }();
  return on;
}

bool KnownStatus(unsigned s) {
  switch (s) {
    case 200:
    case 201:
    case 204:
    case 304:
    case 400:
    case 401:
    case 403:
    case 404:
    case 405:
    case 409:
    case 412:
    case 413:
    case 414:
    case 429:
    case 431:
    case 500:
    case 503:
      return true;
    default:
      return false;
  }
}

std::string_view Field(const HttpResponse& r, http::field f) {
  auto it = r.find(f);
  if (it == r.end()) return {};
  return std::string_view(it->value().data(), it->value().size());
}

// Parses `bytes` as one response; `complete` tells whether it was whole.
struct Reparsed {
  bool complete = false;
  std::size_t consumed = 0;
  std::optional<http::response<http::string_body>> message;
};

Reparsed ParseResponse(std::string_view bytes) {
  Reparsed out;
  http::response_parser<http::string_body> p;
  p.eager(true);
  p.body_limit(std::uint64_t{64} << 20);
  boost::beast::error_code ec;
  while (!p.is_done()) {
    const std::size_t n = p.put(
        boost::asio::const_buffer(bytes.data() + out.consumed, bytes.size() - out.consumed), ec);
    out.consumed += n;
    if (ec && ec != http::error::need_more) break;
    if (n == 0) break;  // needs bytes that are not there
    ec = {};
  }
  if (p.is_done()) {
    out.complete = true;
    out.message = p.release();
  }
  return out;
}

void CheckResponse(const HttpRequest& req, const sessiond::HandlerResult& result,
                   bool faults_installed) {
  const HttpResponse& res = result.response;
  const unsigned status = res.result_int();
  FUZZ_CHECK(KnownStatus(status), "unexpected status " << status);
  FUZZ_CHECK(status != 500 || faults_installed, "500 without an injected fault: " << res.body());
  FUZZ_CHECK(res.version() == req.version(), "response version " << res.version());
  if (status == 204 || status == 304) FUZZ_CHECK(res.body().empty(), status << " with a body");
  if (auto cl = Field(res, http::field::content_length); !cl.empty()) {
    FUZZ_CHECK(cl == std::to_string(res.body().size()), "Content-Length " << cl);
  }

  std::ostringstream os;
  os << res;
  const std::string wire = os.str();
  Reparsed back = ParseResponse(wire);
  FUZZ_CHECK(back.complete && back.consumed == wire.size(),
             "Beast cannot read back the response: " << wire.substr(0, 300));
  FUZZ_CHECK(back.message->result_int() == status && back.message->body() == res.body(),
             "the response changed on the wire");
  // The transport writes AppendResponseHead's bytes and the body instead of
  // running Beast's serializer: they must be the same bytes.
  std::string rendered;
  sessiond::AppendResponseHead(res, &rendered);
  rendered += res.body();
  FUZZ_CHECK(rendered == wire, "AppendResponseHead differs from Beast's serializer:\n"
                                   << rendered.substr(0, 300) << "\n  vs\n"
                                   << wire.substr(0, 300));

  const std::string_view content_type = Field(res, http::field::content_type);
  const bool session_route =
      std::string_view(req.target().data(), req.target().size()).rfind("/serviceconfigs/", 0) == 0;
  const bool document = session_route && (status == 200 || status == 201 || status == 412) &&
                        content_type.rfind("application/json", 0) == 0;
  if (document) {
    const std::string_view etag = Field(res, http::field::etag);
    FUZZ_CHECK(IsStrongEtag(etag), "document with ETag [" << etag << "]");
    JsonLimits generous;
    generous.max_bytes = std::size_t{64} << 20;
    generous.max_container_items = 1u << 20;
    generous.max_depth = 64;
    auto json = ParseJsonStrict(res.body(), generous);
    FUZZ_CHECK(json.ok(), "document is not JSON: " << json.status().ToString());
    Status valid = sessiond::ValidateDocument(*json);
    FUZZ_CHECK(valid.ok(), "served document is invalid: " << valid.ToString());
    HeaderList headers = {{"ETag", std::string(etag)}, {"Content-Type", std::string(content_type)}};
    ParsedResponse parsed = ParseWriteResponse(status, headers, res.body());
    FUZZ_CHECK(parsed.session != nullptr && parsed.hr == S_OK,
               "the core refuses a document sessiond serves: " << parsed.detail.ToString() << "\n  "
                                                               << res.body().substr(0, 400));
  }

  if (result.wire_fault == sessiond::WireFault::kNone) return;
  const sessiond::WireBytes damaged = sessiond::RenderWire(res, result.wire_fault);
  FUZZ_CHECK(damaged.bytes.rfind("HTTP/1.1 ", 0) == 0, "damaged response without a status line");
  const bool has_body = status != 204 && status != 304;
  Reparsed d = ParseResponse(damaged.bytes);
  switch (result.wire_fault) {
    case sessiond::WireFault::kTruncated:
    case sessiond::WireFault::kReset:
      if (has_body) FUZZ_CHECK(!d.complete, "a truncated response is complete");
      break;
    case sessiond::WireFault::kBadEtag:
      FUZZ_CHECK(d.complete, "bad_etag broke the framing");
      if (auto it = d.message->find(http::field::etag); it != d.message->end()) {
        FUZZ_CHECK(!IsStrongEtag(std::string_view(it->value().data(), it->value().size())),
                   "bad_etag left a strong ETag");
      }
      break;
    case sessiond::WireFault::kInvalidJson:
      FUZZ_CHECK(!has_body || d.complete, "invalid_json broke the framing");
      break;
    case sessiond::WireFault::kWrongLength:
    case sessiond::WireFault::kNone:
      break;
  }
}

}  // namespace
}  // namespace sessionrig::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sessionrig;
  using namespace sessionrig::fuzz;
  FuzzInput in(data, size);
  const uint8_t flags = in.Byte();

  const sessiond::Limits limits;  // the server's defaults
  sessiond::HandlerOptions options;
  options.auth_mode = (flags & 1) != 0 ? sessiond::AuthMode::kDev : sessiond::AuthMode::kNone;
  options.secret = kSecret;
  options.json_limits.max_bytes = limits.max_body_bytes;
  options.json_limits.max_depth = limits.max_json_depth;
  options.json_limits.max_container_items = limits.max_json_container_items;
  options.json_limits.max_string_bytes = limits.max_json_string_bytes;
  options.max_url_bytes = limits.max_url_bytes;
  options.retry_after = limits.retry_after;
  options.store.shards = 4;
  options.store.max_sessions = ((flags >> 4) & 3) == 0 ? limits.max_sessions : (flags >> 4) & 3;
  options.store.max_members_per_session =
      ((flags >> 6) & 3) == 0 ? limits.max_members_per_session : (flags >> 6) & 3;
  sessiond::Handler handler(options, nullptr);
  // One connection: its requests share the verified-token cache.
  sessiond::VerifiedToken verified;
  sessiond::RequestInfo info;
  info.peer_is_loopback = (flags & 2) == 0;
  info.verified = &verified;

  std::string_view rest = in.Rest();
  for (int requests = 0; requests < 16 && !rest.empty(); ++requests) {
    http::request_parser<http::string_body> parser;
    parser.eager(true);
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    boost::beast::error_code ec;
    std::size_t consumed = 0;
    while (!parser.is_done()) {
      const std::size_t n =
          parser.put(boost::asio::const_buffer(rest.data() + consumed, rest.size() - consumed), ec);
      consumed += n;
      if (ec && ec != http::error::need_more) break;
      if (n == 0) break;  // needs bytes that are not there
      ec = {};
    }
    if (!parser.is_done()) break;  // malformed, over a limit, or incomplete: the server closes
    rest.remove_prefix(consumed);
    const sessiond::HttpRequest request = parser.release();
    const bool faults_installed = !handler.faults().empty();
    const sessiond::HandlerResult result = handler.HandleRequest(request, info);
    if (Trace()) {
      std::fprintf(stderr, "  %s %.80s -> %u%s%s %.120s\n",
                   std::string(request.method_string()).c_str(),
                   std::string(request.target()).c_str(), result.response.result_int(),
                   result.wire_fault == sessiond::WireFault::kNone ? "" : " wire fault ",
                   result.wire_fault == sessiond::WireFault::kNone
                       ? ""
                       : sessiond::WireFaultName(result.wire_fault),
                   result.response.result_int() >= 400 ? result.response.body().c_str() : "");
    }
    CheckResponse(request, result, faults_installed);
    if (!result.response.keep_alive()) break;
  }
  if ((flags & 4) != 0) {
    handler.store().Sweep(std::chrono::steady_clock::now() + std::chrono::hours(24));
  }
  return 0;
}
