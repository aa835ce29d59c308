#include "api/core_counters.h"

#include <atomic>

#include "sessionrig/sessionrig_c.h"

namespace sessionrig {
namespace {

std::atomic<uint64_t> g_gamertags_truncated{0};

}  // namespace

void CountTruncatedGamertags(uint64_t n) {
  if (n != 0) g_gamertags_truncated.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace sessionrig

STDAPI SrGetCoreCounters(SrCoreCounters* counters) XBL_NOEXCEPT {
  if (counters == nullptr) return E_INVALIDARG;
  counters->GamertagsTruncated = sessionrig::g_gamertags_truncated.load(std::memory_order_relaxed);
  return S_OK;
}
