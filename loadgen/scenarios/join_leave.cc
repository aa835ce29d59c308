#include "loadgen/scenarios/join_leave.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace sessionrig::loadgen {

namespace {

// Member custom constants carry the wall-clock time of the join attempt,
// {"t":<us since epoch>}, so the member that fills a lobby can compute the
// fill time from the document alone (across workers and shards).
constexpr char kJoinTimeKey[] = "\"t\":";

std::int64_t JoinTimeOf(const char* custom_constants_json) {
  if (custom_constants_json == nullptr) return -1;
  const char* p = std::strstr(custom_constants_json, kJoinTimeKey);
  if (p == nullptr) return -1;
  char* end = nullptr;
  const long long t = std::strtoll(p + sizeof(kJoinTimeKey) - 1, &end, 10);
  return end == p + sizeof(kJoinTimeKey) - 1 ? -1 : static_cast<std::int64_t>(t);
}

bool IsMember(XblMultiplayerSessionHandle session) {
  return XblMultiplayerSessionCurrentUser(session) != nullptr;
}

}  // namespace

JoinLeaveScenario::JoinLeaveScenario(const ScenarioEnv& env, JoinLeaveOptions options)
    : config_(*env.config),
      kind_(env.config->scenario),
      options_(options),
      xuids_(env.xuids),
      sessions_(env.sessions),
      popularity_(env.sessions.size(), env.config->zipf.value_or(0.0)),
      worker_index_(env.worker_index),
      rng_(env.seed),
      users_(env.xuids.size()),
      fill_time_us_(env.config->hdr_digits) {}

void JoinLeaveScenario::SetReference(Action& a) const {
  MakeSessionReference(kind_, config_.run_id, sessions_[a.session], 0, &a.ref);
}

Step JoinLeaveScenario::Begin(Action& a) {
  const User& u = users_[a.user];
  if (options_.update_fraction > 0 && rng_.NextDouble() < options_.update_fraction) {
    a.kind = kUpdate;
    a.session = static_cast<std::uint32_t>(popularity_.Sample(rng_));
    return FirstJoinOrUpdateStep(a);
  }
  if (u.seated >= 0) {
    a.kind = kLeave;
    a.session = static_cast<std::uint32_t>(u.seated);
    return FirstLeaveStep(a);
  }
  a.kind = kJoin;
  a.session = static_cast<std::uint32_t>(popularity_.Sample(rng_));
  a.hops = 0;
  return FirstJoinOrUpdateStep(a);
}

// A join or a property update: sync reads first; the blind modes write at
// once, with the session's constants when the mode may create it.
Step JoinLeaveScenario::FirstJoinOrUpdateStep(Action& a) {
  SetReference(a);
  if (config_.mode == WriteMode::kSync) return Step::kRead;
  const bool may_create = config_.mode != WriteMode::kUpdate;
  Prepare(a, nullptr, may_create);
  a.write_mode = SdkWriteMode(config_.mode);
  a.creating = may_create;
  return Step::kWrite;
}

Step JoinLeaveScenario::FirstLeaveStep(Action& a) {
  SetReference(a);
  a.creating = false;
  // CreateNew cannot leave: read, then SynchronizedUpdate.
  if (config_.mode == WriteMode::kSync || config_.mode == WriteMode::kCreate) return Step::kRead;
  Prepare(a, nullptr, false);
  a.write_mode = SdkWriteMode(config_.mode);
  return Step::kWrite;
}

void JoinLeaveScenario::Prepare(Action& a, XblMultiplayerSessionHandle base, bool with_constants) {
  XblMultiplayerSessionHandle h = nullptr;
  if (base != nullptr) {
    if (FAILED(XblMultiplayerSessionDuplicateHandle(base, &h))) h = nullptr;
  } else {
    XblMultiplayerSessionInitArgs init{};
    init.MaxMembersInSession = config_.capacity;
    init.Visibility = XblMultiplayerSessionVisibility::Open;
    h = XblMultiplayerSessionCreateHandle(xuids_[a.user], &a.ref, with_constants ? &init : nullptr);
    if (h != nullptr && with_constants) {
      // Reserved 30 s, inactive 0, ready 180 s (MPSD defaults); empty per scenario.
      XblMultiplayerSessionConstantsSetTimeouts(h, 30000, 0, 180000, options_.empty_timeout_ms);
    }
  }
  ResetActionHandle(a, h);
  if (h == nullptr) return;  // the write then fails with E_INVALIDARG (transport_error)
  switch (a.kind) {
    case kJoin: {
      char constants[48];
      std::snprintf(constants, sizeof(constants), "{\"t\":%" PRId64 "}", WallClockUs());
      XblMultiplayerSessionJoin(h, constants, false, true);
      break;
    }
    case kLeave:
      XblMultiplayerSessionLeave(h);
      break;
    case kUpdate: {
      char name[24];
      char value[24];
      std::snprintf(name, sizeof(name), "w%u", worker_index_);
      std::snprintf(value, sizeof(value), "%" PRIu64, ++update_counter_);
      XblMultiplayerSessionSetCustomPropertyJson(h, name, value);
      break;
    }
    default:
      break;
  }
}

Step JoinLeaveScenario::WriteSync(Action& a, XblMultiplayerSessionHandle base) {
  a.creating = base == nullptr;
  Prepare(a, base, base == nullptr);
  a.write_mode = XblMultiplayerSessionWriteMode::SynchronizedUpdate;
  return Step::kWrite;
}

Step JoinLeaveScenario::MoveOn(Action& a) {
  if (a.measured) ++counters_.found_full;
  if (!options_.move_on_full) return Step::kFailed;
  if (++a.hops >= std::min<std::size_t>(kMaxJoinHops, sessions_.size())) {
    if (a.measured) ++counters_.join_gave_up;
    return Step::kFailed;
  }
  // Another session by popularity, not the one just found full.
  std::uint32_t next = static_cast<std::uint32_t>(popularity_.Sample(rng_));
  if (next == a.session) next = static_cast<std::uint32_t>((next + 1) % sessions_.size());
  a.session = next;
  return FirstJoinOrUpdateStep(a);
}

bool JoinLeaveScenario::IsFull(XblMultiplayerSessionHandle session) const {
  const XblMultiplayerSessionMember* members = nullptr;
  std::size_t count = 0;
  if (FAILED(XblMultiplayerSessionMembers(session, &members, &count))) return false;
  const XblMultiplayerSessionConstants* c = XblMultiplayerSessionSessionConstants(session);
  const std::uint32_t max =
      c != nullptr && c->MaxMembersInSession != 0 ? c->MaxMembersInSession : config_.capacity;
  return count >= max;
}

void JoinLeaveScenario::RecordFill(XblMultiplayerSessionHandle session, bool measured) {
  if (!measured) return;
  const XblMultiplayerSessionMember* members = nullptr;
  std::size_t count = 0;
  if (FAILED(XblMultiplayerSessionMembers(session, &members, &count)) || count == 0) return;
  ++counters_.lobby_fills;
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t t = JoinTimeOf(members[i].CustomConstantsJson);
    if (t >= 0) first = std::min(first, t);
  }
  if (first == std::numeric_limits<std::int64_t>::max()) return;
  fill_time_us_.Record(std::max<std::int64_t>(0, WallClockUs() - first));
}

Step JoinLeaveScenario::OnRead(Action& a, HRESULT hr, XblMultiplayerSessionHandle session) {
  if (FAILED(hr)) return Step::kFailed;  // counted by the worker (read_* counters)
  User& u = users_[a.user];
  switch (a.kind) {
    case kJoin:
      if (session == nullptr) return WriteSync(a, nullptr);  // first one in creates it
      if (IsMember(session)) {  // an earlier join whose outcome was unknown did land
        u.seated = a.session;
        return Step::kSucceeded;
      }
      if (IsFull(session)) return MoveOn(a);
      return WriteSync(a, session);
    case kLeave:
      if (session == nullptr || !IsMember(session)) {  // nothing to leave
        u.seated = -1;
        return Step::kSucceeded;
      }
      return WriteSync(a, session);
    case kUpdate:
      return WriteSync(a, session);  // null: creates it
    default:
      return Step::kFailed;
  }
}

Step JoinLeaveScenario::OnWrite(Action& a, const WriteOutcome& w) {
  User& u = users_[a.user];
  switch (*w.status) {
    case WriteStatus::kUpdated:
    case WriteStatus::kCreated:
    case WriteStatus::kSessionDeleted:
      if (a.kind == kJoin) {
        if (*w.status == WriteStatus::kSessionDeleted) return Step::kFailed;
        u.seated = a.session;
        if (a.measured) ++u.joins;
        if (options_.track_fills && w.result != nullptr && IsFull(w.result)) {
          RecordFill(w.result, a.measured);
        }
      } else if (a.kind == kLeave) {
        u.seated = -1;
      }
      return Step::kSucceeded;
    case WriteStatus::kOutOfSync:
      if (a.creating && a.measured) ++counters_.create_races;
      if (w.result == nullptr) {  // the session does not exist (a 412 without a document)
        if (a.kind == kLeave) {
          u.seated = -1;
          return Step::kSucceeded;
        }
        return WriteSync(a, nullptr);
      }
      if (a.kind == kJoin) {
        if (IsMember(w.result)) {
          u.seated = a.session;
          return Step::kSucceeded;
        }
        if (IsFull(w.result)) return MoveOn(a);
      } else if (a.kind == kLeave && !IsMember(w.result)) {
        u.seated = -1;
        return Step::kSucceeded;
      }
      return WriteSync(a, w.result);  // reapply the change to the winner's state
    case WriteStatus::kConflict:
      if (a.kind == kJoin) return MoveOn(a);  // sessiond: "session full"
      return Step::kFailed;
    case WriteStatus::kNotFound:
      if (a.kind == kLeave) {
        u.seated = -1;
        return Step::kFailed;
      }
      return WriteSync(a, nullptr);  // UpdateExisting on a missing session: create it
    case WriteStatus::kTimeout:
    case WriteStatus::kTransportError:
    case WriteStatus::kParseError:
      // The join may have landed: the user's next action leaves (and reads first).
      if (a.kind == kJoin) u.seated = a.session;
      return Step::kFailed;
    default:
      return Step::kFailed;
  }
}

void JoinLeaveScenario::Finish(ScenarioOutput* out) {
  auto& counters = out->stats.counters;
  counters["create_races"] += counters_.create_races;
  if (options_.update_fraction < 1.0) {
    counters["found_full"] += counters_.found_full;
    if (options_.move_on_full) counters["join_gave_up"] += counters_.join_gave_up;
  }
  if (options_.track_fills) {
    counters["lobby_fills"] += counters_.lobby_fills;
    auto& histograms = out->stats.histograms;
    auto [fill, inserted_fill] = histograms.try_emplace("fill_time_us", config_.hdr_digits);
    (void)fill->second.Merge(fill_time_us_);
    auto [per_user, inserted_per_user] =
        histograms.try_emplace("joins_per_user", config_.hdr_digits);
    for (const User& u : users_) per_user->second.Record(u.joins);
  }
}

}  // namespace sessionrig::loadgen
