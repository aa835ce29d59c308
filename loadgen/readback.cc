#include "loadgen/readback.h"

#include <chrono>
#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "XAsync.h"
#include "loadgen/pump.h"
#include "loadgen/scenario.h"
#include "sessionrig/sessionrig_c.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig::loadgen {

namespace {

using Clock = std::chrono::steady_clock;

// How long to wait for cancelled reads to complete.
constexpr auto kCancelGrace = std::chrono::seconds(5);

struct Read {
  XAsyncBlock block{};
  XblMultiplayerSessionReference ref{};
  HRESULT hr = E_PENDING;
  XblMultiplayerSessionHandle session = nullptr;
  bool started = false;
};

// The tokens of properties.custom.tokens of `session`, and its ETag.
void TakeFinalDocument(XblMultiplayerSessionHandle session, SessionHistory* h) {
  h->final_tokens.clear();
  h->final_etag.clear();
  if (session == nullptr) return;
  const char* etag = XblMultiplayerSessionEtag(session);
  h->final_etag = etag != nullptr ? etag : "";
  const XblMultiplayerSessionProperties* p = XblMultiplayerSessionSessionProperties(session);
  if (p == nullptr || p->SessionCustomPropertiesJson == nullptr) return;
  nlohmann::json custom = nlohmann::json::parse(p->SessionCustomPropertiesJson, nullptr, false);
  if (custom.is_object() && custom.contains("tokens") && custom["tokens"].is_array()) {
    for (const auto& t : custom["tokens"]) {
      h->final_tokens.push_back(t.is_string() ? t.get<std::string>() : t.dump());
    }
  }
}

}  // namespace

std::vector<std::size_t> ReadSessionsBack(
    const Config& config, const std::string& endpoint, const UserCredential& reader,
    const std::vector<std::string>& names,
    const std::function<void(std::size_t, XblMultiplayerSessionHandle)>& take) {
  std::vector<std::size_t> failed;
  RequestPump pump;
  XblContextHandle context = nullptr;
  bool ok = pump.Open(kFinalReadsInFlight).ok();
  if (ok) {
    SrContextArgs cargs{};
    cargs.Xuid = reader.xuid;
    cargs.Endpoint = endpoint.c_str();
    cargs.Authorization = reader.authorization.c_str();
    cargs.Transport = pump.transport();
    cargs.TimeoutMs = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(config.timeout).count());
    ok = SUCCEEDED(SrContextCreate(&cargs, &context));
  }
  if (!ok) {
    for (std::size_t i = 0; i < names.size(); ++i) failed.push_back(i);
    return failed;  // the pump closes what it opened
  }

  // On the heap: leaked if a cancelled read never completes (the core still
  // references its block).
  auto owned_reads = std::make_unique<std::vector<Read>>(names.size());
  std::vector<Read>& reads = *owned_reads;
  std::size_t next = 0;
  std::size_t done = 0;
  std::size_t in_flight = 0;
  auto on_done = [](XAsyncBlock* b) {
    auto* read = static_cast<Read*>(b->context);
    read->hr = XblMultiplayerGetSessionResult(b, &read->session);
  };
  const auto deadline = Clock::now() + config.timeout + std::chrono::seconds(5);
  while (done < reads.size() && Clock::now() < deadline) {
    while (next < reads.size() && in_flight < kFinalReadsInFlight) {
      Read& r = reads[next];
      r.ref = XblMultiplayerSessionReferenceCreate(kLoadgenScid, ScenarioName(config.scenario),
                                                   names[next].c_str());
      r.block.queue = pump.queue();
      r.block.context = &r;
      r.block.callback = on_done;
      r.started = true;
      if (HRESULT hr = XblMultiplayerGetSessionAsync(context, &r.ref, &r.block); FAILED(hr)) {
        r.hr = hr;
      }
      ++next;
      in_flight = 0;
      for (std::size_t i = 0; i < next; ++i) in_flight += reads[i].hr == E_PENDING;
    }
    pump.Poll(5);
    done = 0;
    in_flight = 0;
    for (std::size_t i = 0; i < next; ++i) {
      const bool pending = reads[i].hr == E_PENDING;
      done += !pending;
      in_flight += pending;
    }
  }
  // Whatever is still pending: cancel and wait for the cancellations.
  auto pending = [&] {
    for (const Read& r : reads) {
      if (r.started && r.hr == E_PENDING) return true;
    }
    return false;
  };
  for (Read& r : reads) {
    if (r.started && r.hr == E_PENDING) XAsyncCancel(&r.block);
  }
  const auto cancel_deadline = Clock::now() + kCancelGrace;
  while (pending() && Clock::now() < cancel_deadline) pump.Poll(5);
  const bool stuck = pending();

  for (std::size_t i = 0; i < reads.size(); ++i) {
    Read& r = reads[i];
    if (r.hr != S_OK) {
      failed.push_back(i);
      continue;
    }
    take(i, r.session);
    XblMultiplayerSessionCloseHandle(r.session);
    r.session = nullptr;
  }
  if (stuck) {
    // Leak rather than free what the core still references.
    pump.Leak();
    (void)owned_reads.release();
    return failed;
  }
  XblContextCloseHandle(context);
  return failed;
}

std::vector<std::size_t> ReadFinalDocuments(const Config& config, const std::string& endpoint,
                                            const UserCredential& reader,
                                            std::vector<SessionHistory>* sessions) {
  std::vector<std::string> names;
  names.reserve(sessions->size());
  for (const SessionHistory& h : *sessions) names.push_back(h.session);
  return ReadSessionsBack(config, endpoint, reader, names,
                          [&](std::size_t i, XblMultiplayerSessionHandle session) {
                            TakeFinalDocument(session, &(*sessions)[i]);
                          });
}

}  // namespace sessionrig::loadgen
