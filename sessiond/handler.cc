#include "sessiond/handler.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "sessiond/merge.h"
#include "sessiond/metrics.h"
#include "sessionrig/ascii.h"

namespace sessionrig::sessiond {

// The request headers a session route reads, found in one pass over the
// fields (the first of each; `duplicate` when one appears more than once).
struct SessionHeaders {
  std::string_view authorization;
  std::string_view if_match;
  std::string_view if_none_match;
  std::string_view contract_version;  // x-xbl-contract-version
  std::string_view content_type;
  bool duplicate = false;  // each of the five may appear at most once
};

namespace {

namespace http = boost::beast::http;

constexpr const char* kJsonType = "application/json; charset=utf-8";
constexpr const char* kTextType = "text/plain; charset=utf-8";
// Longest scid / template / session name segment, bytes.
constexpr std::size_t kMaxSegmentBytes = 128;
// What an invalid_json fault sends instead of the document.
constexpr std::string_view kBrokenJson =
    R"({"contractVersion":107,"changeNumber":1,"members":{"0":{"next":)";

void SetText(HttpResponse* r, unsigned status, std::string_view message) {
  r->result(status);
  r->set(http::field::content_type, kTextType);
  r->body().assign(message);
  r->body().push_back('\n');
}

// The session as `caller` (an xuid, or "") is served it: with `shared`, the
// store's cached bytes themselves (not for a large session, rendered per
// caller), else a copy in the body.
void SetDocument(HttpResponse* r, unsigned status, const SessionView& view, std::string_view caller,
                 std::shared_ptr<const std::string>* shared) {
  r->result(status);
  r->set(http::field::content_type, kJsonType);
  r->set(http::field::etag, boost::beast::string_view(view.etag.data(), view.etag.size()));
  if (shared != nullptr && view.large_document == nullptr && view.body != nullptr) {
    *shared = view.body;
    r->body().clear();
    return;
  }
  r->body() = view.BodyFor(caller);
}

void SetRetryAfter(HttpResponse* r, std::chrono::seconds s) {
  r->set(http::field::retry_after, std::to_string(std::max<std::int64_t>(s.count(), 0)));
}

bool IsSegment(std::string_view s) {
  if (s.empty() || s.size() > kMaxSegmentBytes) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '~';
  });
}

// "/serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name}" ->
// "scid/template/name" (lowercase: MPSD names are case-insensitive), or "".
std::string SessionKey(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    if (path.front() != '/') return "";
    path.remove_prefix(1);
    const std::size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  if (parts.size() != 6 || parts[0] != "serviceconfigs" || parts[2] != "sessionTemplates" ||
      parts[4] != "sessions" || !IsSegment(parts[1]) || !IsSegment(parts[3]) ||
      !IsSegment(parts[5])) {
    return "";
  }
  std::string key;
  key.reserve(parts[1].size() + parts[3].size() + parts[5].size() + 2);
  for (std::string_view p :
       {parts[1], std::string_view("/"), parts[3], std::string_view("/"), parts[5]}) {
    for (char c : p) key.push_back(LowerAscii(c));
  }
  return key;
}

SessionHeaders ReadSessionHeaders(const HttpRequest& req) {
  SessionHeaders h;
  bool seen[5] = {};
  auto take = [&](int i, std::string_view* slot, const auto& f) {
    if (seen[i]) {
      h.duplicate = true;
      return;
    }
    seen[i] = true;
    *slot = std::string_view(f.value().data(), f.value().size());
  };
  for (const auto& f : req) {
    switch (f.name()) {
      case http::field::authorization:
        take(0, &h.authorization, f);
        break;
      case http::field::if_match:
        take(1, &h.if_match, f);
        break;
      case http::field::if_none_match:
        take(2, &h.if_none_match, f);
        break;
      case http::field::content_type:
        take(3, &h.content_type, f);
        break;
      case http::field::unknown: {
        const std::string_view name(f.name_string().data(), f.name_string().size());
        if (EqualsIgnoreCase(name, "x-xbl-contract-version")) take(4, &h.contract_version, f);
        break;
      }
      default:
        break;
    }
  }
  return h;
}

FaultKind ErrorFaultKind(unsigned status) {
  if (status == 429) return FaultKind::kError429;
  if (status == 500) return FaultKind::kError500;
  return FaultKind::kError503;
}

FaultKind WireFaultKind(WireFault f) {
  switch (f) {
    case WireFault::kTruncated:
      return FaultKind::kTruncated;
    case WireFault::kWrongLength:
      return FaultKind::kWrongLength;
    case WireFault::kInvalidJson:
      return FaultKind::kInvalidJson;
    case WireFault::kBadEtag:
      return FaultKind::kBadEtag;
    case WireFault::kReset:
    case WireFault::kNone:
      break;
  }
  return FaultKind::kReset;
}

}  // namespace

Handler::Handler(HandlerOptions options, Metrics* metrics)
    : options_(std::move(options)),
      metrics_(metrics),
      auth_(options_.auth_mode, options_.secret),
      store_(options_.store, metrics) {}

Status Handler::SetFaults(const std::vector<std::string>& specs) {
  auto plan = ParseFaultSpecs(specs);
  if (!plan.ok()) return plan.status();
  faults_.SetPlan(std::move(plan).value(), std::chrono::steady_clock::now());
  return Status::Ok();
}

HandlerResult Handler::HandleRequest(const HttpRequest& req, const RequestInfo& info) {
  HandlerResult out;
  HttpResponse& res = out.response;
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.set(http::field::server, "sessiond");
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));

  [&] {
    if (target.size() > options_.max_url_bytes) {
      SetText(&res, 414,
              "URL of " + std::to_string(target.size()) + " bytes exceeds " +
                  std::to_string(options_.max_url_bytes));
      return;
    }
    if (path.rfind("/admin/", 0) == 0) {
      out = HandleAdmin(req, path, info);
      return;
    }
    if (path == "/healthz") {
      SetText(&res, 200, "ok");
      return;
    }
    const std::string key = SessionKey(path);
    if (key.empty()) {
      SetText(&res, 404, "no such resource: " + std::string(path.substr(0, 200)));
      return;
    }
    const http::verb method = req.method();
    if (method != http::verb::get && method != http::verb::put) {
      res.set(http::field::allow, "GET, PUT");
      SetText(&res, 405, "method not allowed; use GET or PUT");
      return;
    }
    const FaultDecision fault = faults_.Decide(
        info.received_at == SteadyTime{} ? std::chrono::steady_clock::now() : info.received_at);
    out.delay = fault.latency + fault.stall;
    if (metrics_ != nullptr) {
      if (fault.latency.count() > 0) metrics_->FaultInjected(FaultKind::kLatency);
      if (fault.stall.count() > 0) metrics_->FaultInjected(FaultKind::kStall);
    }
    if (fault.error_status != 0) {
      if (metrics_ != nullptr) metrics_->FaultInjected(ErrorFaultKind(fault.error_status));
      if (fault.error_status == 429) {
        SetRetryAfter(&res, fault.retry_after);
        res.result(429);
        res.set(http::field::content_type, kJsonType);
        res.body() = R"json({"code":429,"message":"throttled (injected fault)"})json";
      } else if (fault.error_status == 503) {
        SetRetryAfter(&res, fault.retry_after);
        res.result(503);
      } else {
        SetText(&res, fault.error_status, "internal error (injected fault)");
      }
      return;
    }
    out.wire_fault = fault.wire;
    if (fault.wire != WireFault::kNone && metrics_ != nullptr) {
      metrics_->FaultInjected(WireFaultKind(fault.wire));
    }
    const SessionHeaders headers = ReadSessionHeaders(req);
    if (headers.duplicate) {
      SetText(&res, 400,
              "Authorization, If-Match, If-None-Match, Content-Type and "
              "x-xbl-contract-version may each appear once");
      return;
    }
    auto caller =
        auth_.Authenticate(headers.authorization, std::chrono::system_clock::now(), info.verified);
    if (!caller.ok()) {
      res.set(http::field::www_authenticate, "XBL3.0");
      SetText(&res, 401, caller.status().message());
      return;
    }
    const std::string_view version = headers.contract_version;
    int contract_version = 0;
    if (version == "104" || version == "105" || version == "107") {
      contract_version = (version[0] - '0') * 100 + (version[2] - '0');
    } else {
      SetText(&res, 400,
              version.empty() ? "missing x-xbl-contract-version header (104, 105 or 107)"
                              : "x-xbl-contract-version must be 104, 105 or 107");
      return;
    }
    // A wire fault damages the body it is given: those responses keep a copy.
    std::shared_ptr<const std::string>* shared =
        info.share_document && out.wire_fault == WireFault::kNone ? &out.document : nullptr;
    if (method == http::verb::get) {
      HandleGet(headers, key, *caller, &res, shared);
    } else {
      HandlePut(req, headers, key, *caller, contract_version, &res, shared);
    }
  }();
  if (out.document != nullptr) {
    // What prepare_payload would set for the same bytes in the body.
    out.response.content_length(out.document->size());
  } else {
    out.response.prepare_payload();
  }
  return out;
}

void Handler::HandleGet(const SessionHeaders& headers, const std::string& key,
                        const std::string& caller, HttpResponse* res,
                        std::shared_ptr<const std::string>* shared) {
  std::optional<SessionView> view = store_.Read(key);
  const std::string_view inm = headers.if_none_match;
  bool any = false;
  std::vector<std::string> tags;
  if (!inm.empty()) {
    if (Status s = ParseEntityTagList(inm, &any, &tags); !s.ok()) {
      SetText(res, 400, "If-None-Match: " + s.message());
      return;
    }
  }
  if (!view) {
    res->result(204);
    return;
  }
  const bool not_modified =
      !inm.empty() &&
      (any || std::any_of(tags.begin(), tags.end(), [&](const std::string& t) {
         return std::string_view(t).substr(t.rfind("W/", 0) == 0 ? 2 : 0) == view->etag;
       }));
  if (not_modified) {
    res->result(304);
    res->set(http::field::etag, boost::beast::string_view(view->etag.data(), view->etag.size()));
    return;
  }
  SetDocument(res, 200, *view, caller, shared);
}

void Handler::HandlePut(const HttpRequest& req, const SessionHeaders& headers,
                        const std::string& key, const std::string& caller, int contract_version,
                        HttpResponse* res, std::shared_ptr<const std::string>* shared) {
  const std::string_view content_type = headers.content_type;
  if (!content_type.empty()) {
    // The media type, before any parameters ("; charset=utf-8").
    std::string_view media = content_type.substr(0, content_type.find(';'));
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
    if (!EqualsIgnoreCase(media, "application/json")) {
      SetText(res, 400, "Content-Type must be application/json");
      return;
    }
  }
  Preconditions pre;
  if (const std::string_view im = headers.if_match; !im.empty()) {
    pre.if_match_present = true;
    if (Status s = ParseEntityTagList(im, &pre.if_match_any, &pre.if_match); !s.ok()) {
      SetText(res, 400, "If-Match: " + s.message());
      return;
    }
  }
  if (const std::string_view inm = headers.if_none_match; !inm.empty()) {
    pre.if_none_match_present = true;
    if (Status s = ParseEntityTagList(inm, &pre.if_none_match_any, &pre.if_none_match); !s.ok()) {
      SetText(res, 400, "If-None-Match: " + s.message());
      return;
    }
  }
  // A stale If-Match fails before the body is even parsed (RFC 9110 evaluates
  // preconditions before processing content). Safe without the session lock:
  // ETags are never reused, so a tag that does not match now never will.
  if (pre.if_match_present && !pre.if_match_any && !options_.store.testing_ignore_if_match) {
    std::optional<SessionView> current = store_.Read(key);
    if (current &&
        std::find(pre.if_match.begin(), pre.if_match.end(), current->etag) == pre.if_match.end()) {
      if (metrics_ != nullptr) metrics_->PreconditionFailed();
      SetDocument(res, 412, *current, caller, shared);
      return;
    }
  }
  auto delta = ParseJsonStrict(req.body(), options_.json_limits);
  if (!delta.ok()) {
    SetText(res, 400, "invalid request body: " + delta.status().ToString());
    return;
  }
  if (Status s = CheckMemberAccess(*delta, caller); !s.ok()) {
    SetText(res, 403, s.message());
    return;
  }
  MergeContext context;
  context.caller_xuid = caller;
  context.contract_version = contract_version;
  WriteResult w = store_.Write(key, pre, *delta, std::move(context));
  switch (w.outcome) {
    case WriteOutcome::kUpdated:
      SetDocument(res, 200, *w.view, caller, shared);
      return;
    case WriteOutcome::kCreated:
      SetDocument(res, 201, *w.view, caller, shared);
      return;
    case WriteOutcome::kDeleted:
      res->result(204);
      return;
    case WriteOutcome::kPreconditionFailed:
      if (w.view) {
        SetDocument(res, 412, *w.view, caller, shared);
      } else {
        SetText(res, 412, "precondition failed: the session does not exist");
      }
      return;
    case WriteOutcome::kRefused: {
      // 413 only for a session that would outgrow what clients read; the
      // connection stays open (the body was read, unlike a 413 for the body).
      unsigned status = 400;
      if (w.status.code() == StatusCode::kConflict) status = 409;
      if (w.status.code() == StatusCode::kSizeLimit) status = 413;
      SetText(res, status, w.status.message());
      return;
    }
    case WriteOutcome::kStoreFull:
      SetRetryAfter(res, options_.retry_after);
      SetText(res, 503, w.status.message());
      return;
    case WriteOutcome::kInternal:
      SetText(res, 500, w.status.message());
      return;
  }
}

HandlerResult Handler::HandleAdmin(const HttpRequest& req, std::string_view path,
                                   const RequestInfo& info) {
  HandlerResult out;
  HttpResponse& res = out.response;
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.set(http::field::server, "sessiond");
  if (!info.peer_is_loopback) {
    SetText(&res, 403, "the admin endpoint answers loopback peers only");
    return out;
  }
  if (path != "/admin/faults") {
    SetText(&res, 404, "no such resource: " + std::string(path.substr(0, 200)));
    return out;
  }
  const http::verb method = req.method();
  if (method == http::verb::put) {
    auto body = ParseJsonStrict(req.body(), options_.json_limits);
    if (!body.ok()) {
      SetText(&res, 400, "invalid request body: " + body.status().ToString());
      return out;
    }
    const Json* list = &*body;
    if (body->is_object() && body->size() == 1 && body->contains("inject"))
      list = &(*body)["inject"];
    if (!list->is_array() ||
        !std::all_of(list->begin(), list->end(), [](const Json& e) { return e.is_string(); })) {
      SetText(&res, 400, R"(body must be {"inject":["SPEC", ...]} or ["SPEC", ...])");
      return out;
    }
    if (Status s = SetFaults(list->get<std::vector<std::string>>()); !s.ok()) {
      SetText(&res, 400, s.message());
      return out;
    }
  } else if (method == http::verb::delete_) {
    faults_.SetPlan(FaultPlan{}, std::chrono::steady_clock::now());
  } else if (method != http::verb::get) {
    res.set(http::field::allow, "GET, PUT, DELETE");
    SetText(&res, 405, "method not allowed; use GET, PUT or DELETE");
    return out;
  }
  res.result(200);
  res.set(http::field::content_type, kJsonType);
  res.body() = Json{{"inject", faults_.specs()}}.dump();
  return out;
}

void AppendResponseHead(const HttpResponse& response, std::string* out) {
  const unsigned version = response.version();
  const unsigned code = response.result_int();
  const boost::beast::string_view reason = response.reason();
  out->append("HTTP/");
  out->push_back(static_cast<char>('0' + version / 10));
  out->push_back('.');
  out->push_back(static_cast<char>('0' + version % 10));
  out->push_back(' ');
  out->push_back(static_cast<char>('0' + code / 100));
  out->push_back(static_cast<char>('0' + (code / 10) % 10));
  out->push_back(static_cast<char>('0' + code % 10));
  out->push_back(' ');
  out->append(reason.data(), reason.size());
  out->append("\r\n");
  for (const auto& f : response) {
    out->append(f.name_string().data(), f.name_string().size());
    out->append(": ");
    out->append(f.value().data(), f.value().size());
    out->append("\r\n");
  }
  out->append("\r\n");
}

WireBytes RenderWire(const HttpResponse& response, WireFault fault) {
  WireBytes out;
  const std::string& body = response.body();
  std::string etag;
  std::string head = "HTTP/1.1 " + std::to_string(response.result_int()) + " " +
                     std::string(response.reason().data(), response.reason().size()) + "\r\n";
  for (const auto& f : response) {
    if (f.name() == http::field::content_length || f.name() == http::field::etag) {
      if (f.name() == http::field::etag) etag.assign(f.value().data(), f.value().size());
      continue;
    }
    head.append(f.name_string().data(), f.name_string().size());
    head += ": ";
    head.append(f.value().data(), f.value().size());
    head += "\r\n";
  }
  auto finish = [&](std::size_t declared_length, std::string_view sent_body,
                    WireBytes::After after) {
    if (!etag.empty()) head += "ETag: " + etag + "\r\n";
    head += "Content-Length: " + std::to_string(declared_length) + "\r\n\r\n";
    out.bytes = std::move(head);
    out.bytes.append(sent_body);
    out.after = after;
  };
  // Faults that cut the body need one; an empty body is cut from a claimed 64 bytes.
  const std::size_t claimed = body.empty() ? 64 : body.size();
  switch (fault) {
    case WireFault::kTruncated:
      finish(claimed, std::string_view(body).substr(0, body.size() / 2), WireBytes::After::kClose);
      break;
    case WireFault::kWrongLength:
      finish(body.empty() ? claimed : body.size() / 2, body, WireBytes::After::kClose);
      break;
    case WireFault::kInvalidJson:
      finish(kBrokenJson.size(), kBrokenJson, WireBytes::After::kKeepAlive);
      break;
    case WireFault::kBadEtag: {
      std::string bad = etag.empty() ? "sessiond-bad-etag" : etag;
      bad.erase(std::remove(bad.begin(), bad.end(), '"'), bad.end());
      etag = bad;
      finish(body.size(), body, WireBytes::After::kKeepAlive);
      break;
    }
    case WireFault::kReset:
    case WireFault::kNone:
      finish(claimed, std::string_view(body).substr(0, body.size() / 2), WireBytes::After::kReset);
      break;
  }
  return out;
}

}  // namespace sessionrig::sessiond
