#include "sessiond/store.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <functional>
#include <random>
#include <utility>

#include "sessiond/metrics.h"
#include "sessionrig/json_codec.h"

namespace sessionrig::sessiond {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd();
  }());
  return rng;
}

std::string HexU64(std::uint64_t v, int digits) {
  std::string out(static_cast<std::size_t>(digits), '0');
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[v & 0xf];
    v >>= 4;
  }
  return out;
}

// A random (version 4) UUID, lowercase.
std::string RandomUuid() {
  std::uint64_t hi = Rng()();
  std::uint64_t lo = Rng()();
  hi = (hi & ~std::uint64_t{0xf000}) | 0x4000;                           // version 4
  lo = (lo & ~(std::uint64_t{0xc} << 60)) | (std::uint64_t{0x8} << 60);  // variant 10
  const std::string h = HexU64(hi, 16);
  const std::string l = HexU64(lo, 16);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + l.substr(0, 4) +
         "-" + l.substr(4, 12);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsOpaqueTag(std::string_view t) {
  if (t.size() < 2 || t.front() != '"' || t.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < t.size(); ++i) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c == '"' || c < 0x21 || c == 0x7f) return false;
  }
  return true;
}

bool StrongMatch(const std::vector<std::string>& tags, const std::string& etag) {
  return std::find(tags.begin(), tags.end(), etag) != tags.end();
}

bool WeakMatch(const std::vector<std::string>& tags, const std::string& etag) {
  return std::any_of(tags.begin(), tags.end(), [&](const std::string& t) {
    return std::string_view(t).substr(t.rfind("W/", 0) == 0 ? 2 : 0) == etag;
  });
}

std::int64_t MemberCount(const Json& doc) {
  return static_cast<std::int64_t>(doc["members"].size());
}

bool SystemFlag(const Json& member, const char* name) {
  auto props = member.find("properties");
  if (props == member.end() || !props->is_object()) return false;
  auto sys = props->find("system");
  if (sys == props->end() || !sys->is_object()) return false;
  auto flag = sys->find(name);
  return flag != sys->end() && flag->is_boolean() && flag->get<bool>();
}

// A member's status (active, else ready, else reserved, else inactive);
// nullopt for active, which no timeout removes.
std::optional<MemberRemovalReason> TimedStatus(const Json& member) {
  if (SystemFlag(member, "active")) return std::nullopt;
  if (SystemFlag(member, "ready")) return MemberRemovalReason::kReady;
  if (member.value("reserved", false)) return MemberRemovalReason::kReserved;
  return MemberRemovalReason::kInactive;
}

// The removal timeout of `status` in `doc`, ms; nullopt: never.
std::optional<std::int64_t> RemovalTimeoutMs(const Json& doc, MemberRemovalReason status) {
  switch (status) {
    case MemberRemovalReason::kReserved: {
      const std::int64_t ms = ReservedRemovalTimeoutMs(doc);
      return ms >= 0 ? std::optional<std::int64_t>(ms) : std::nullopt;
    }
    case MemberRemovalReason::kReady: {
      const std::int64_t ms = ReadyRemovalTimeoutMs(doc);
      return ms >= 0 ? std::optional<std::int64_t>(ms) : std::nullopt;
    }
    case MemberRemovalReason::kInactive: {
      // 0 means never for inactive members (the MPSD default keeps them).
      const std::int64_t ms = InactiveRemovalTimeoutMs(doc);
      return ms > 0 ? std::optional<std::int64_t>(ms) : std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

Status ParseEntityTagList(std::string_view value, bool* any, std::vector<std::string>* tags) {
  *any = false;
  tags->clear();
  value = Trim(value);
  if (value == "*") {
    *any = true;
    return Status::Ok();
  }
  while (true) {
    const std::size_t comma = value.find(',');
    std::string_view item = Trim(value.substr(0, comma));
    const std::string_view opaque = item.substr(item.rfind("W/", 0) == 0 ? 2 : 0);
    if (!IsOpaqueTag(opaque)) {
      return Status(
          StatusCode::kBadEtag,
          "not an entity-tag: \"" + std::string(item.substr(0, 80)) + "\" (expected \"...\" or *)");
    }
    tags->emplace_back(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return Status::Ok();
}

std::string SessionView::BodyFor(std::string_view caller_xuid) const {
  if (large_document != nullptr) return RenderForCaller(*large_document, caller_xuid);
  return body != nullptr ? *body : std::string();
}

std::string NowIso8601() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::int64_t secs = ms / 1000;
  // "YYYY-MM-DDTHH:MM:SS" formatted once per second per thread (every write
  // stamps its time; gmtime_r + strftime per request showed in profiles).
  struct SecondText {
    std::int64_t secs = -1;
    char text[40] = {};
    std::size_t size = 0;
  };
  thread_local SecondText cached;
  if (cached.secs != secs) {
    const time_t t = static_cast<time_t>(secs);
    struct tm tm_utc {};
    gmtime_r(&t, &tm_utc);
    cached.size = strftime(cached.text, sizeof(cached.text), "%Y-%m-%dT%H:%M:%S", &tm_utc);
    cached.secs = secs;
  }
  const int milli = static_cast<int>(ms % 1000);
  std::string out;
  out.reserve(cached.size + 5);
  out.append(cached.text, cached.size);
  out.push_back('.');
  out.push_back(static_cast<char>('0' + milli / 100));
  out.push_back(static_cast<char>('0' + milli / 10 % 10));
  out.push_back(static_cast<char>('0' + milli % 10));
  out.push_back('Z');
  return out;
}

SessionStore::SessionStore(StoreOptions options, Metrics* metrics)
    : options_(options),
      metrics_(metrics),
      etag_prefix_(
          HexU64((std::uint64_t{std::random_device()()} << 32) ^ std::random_device()(), 16)),
      shards_(std::make_unique<Shard[]>(std::max<std::size_t>(options_.shards, 1))) {}

SessionStore::~SessionStore() = default;

SessionStore::Shard& SessionStore::ShardFor(std::string_view key) const {
  const std::size_t n = std::max<std::size_t>(options_.shards, 1);
  return shards_[std::hash<std::string_view>()(key) % n];
}

std::shared_ptr<SessionStore::Session> SessionStore::FindOrInsert(std::string_view key) {
  Shard& shard = ShardFor(key);
  MutexLock lock(shard.mu);
  auto it = shard.map.find(std::string(key));
  if (it != shard.map.end() && !it->second->dead.load(std::memory_order_acquire)) return it->second;
  auto fresh = std::make_shared<Session>(std::string(key));
  if (it != shard.map.end()) {
    it->second = fresh;
  } else {
    shard.map.emplace(std::string(key), fresh);
  }
  return fresh;
}

void SessionStore::Erase(std::string_view key, const Session* session) {
  Shard& shard = ShardFor(key);
  MutexLock lock(shard.mu);
  auto it = shard.map.find(std::string(key));
  if (it != shard.map.end() && it->second.get() == session) shard.map.erase(it);
}

std::string SessionStore::NextEtag() {
  const std::uint64_t n = etag_counter_.fetch_add(1, std::memory_order_relaxed) + 1;
  return "\"" + etag_prefix_ + "-" + std::to_string(n) + "\"";
}

std::optional<SessionView> SessionStore::Read(std::string_view key) const {
  std::shared_ptr<Session> s;
  {
    Shard& shard = ShardFor(key);
    MutexLock lock(shard.mu);
    auto it = shard.map.find(std::string(key));
    if (it == shard.map.end()) return std::nullopt;
    s = it->second;
  }
  MutexLock lock(s->mu);
  if (!s->exists || s->dead.load(std::memory_order_relaxed)) return std::nullopt;
  return s->view;
}

void SessionStore::Commit(Session& s, std::string text, DocumentParts parts,
                          SteadyClock::time_point now) {
  s.view.body = std::make_shared<const std::string>(std::move(text));
  s.parts = std::move(parts);
  s.view.etag = NextEtag();
  s.view.large_document = IsLargeSession(s.doc) ? std::make_shared<const Json>(s.doc) : nullptr;
  s.exists = true;
  // Timers: emptiness and member statuses.
  const Json& members = s.doc["members"];
  if (members.empty() && SessionEmptyTimeoutMs(s.doc) > 0) {
    if (!s.empty_since) s.empty_since = now;
  } else {
    s.empty_since.reset();
  }
  std::map<std::int64_t, MemberClock> clocks;
  for (const auto& [k, m] : members.items()) {
    const std::optional<MemberRemovalReason> status = TimedStatus(m);
    if (!status || !RemovalTimeoutMs(s.doc, *status)) continue;
    const std::int64_t index = m["constants"]["system"]["index"].get<std::int64_t>();
    auto it = s.member_clocks.find(index);
    const bool same = it != s.member_clocks.end() && it->second.status == *status;
    clocks.emplace(index, MemberClock{*status, same ? it->second.since : now});
  }
  s.member_clocks = std::move(clocks);
  s.has_timers.store(s.empty_since.has_value() || !s.member_clocks.empty(),
                     std::memory_order_relaxed);
}

WriteResult SessionStore::Write(std::string_view key, const Preconditions& pre, const Json& delta,
                                MergeContext context) {
  const auto now = SteadyClock::now();
  context.now_iso = NowIso8601();
  context.max_members_per_session = options_.max_members_per_session;
  context.testing_skip_capacity_check = options_.testing_skip_capacity_check;
  for (;;) {
    std::shared_ptr<Session> s = FindOrInsert(key);
    bool erase = false;
    WriteResult r;
    {
      MutexLock lock(s->mu);
      if (s->dead.load(std::memory_order_relaxed)) continue;  // deleted meanwhile: look up again
      r = WriteLocked(*s, pre, delta, context, now, &erase);
    }
    if (erase) Erase(key, s.get());
    return r;
  }
}

WriteResult SessionStore::WriteLocked(Session& s, const Preconditions& pre, const Json& delta,
                                      MergeContext& context, SteadyClock::time_point now,
                                      bool* erase) {
  const bool exists = s.exists;
  WriteResult r;
  // On any failure to create, the placeholder entry goes away again.
  auto abandon_placeholder = [&]() {
    if (exists) return;
    s.dead.store(true, std::memory_order_release);
    *erase = true;
  };

  bool precondition_ok = true;
  if (pre.if_match_present) {
    if (!exists) {
      precondition_ok = false;
    } else if (!pre.if_match_any && !StrongMatch(pre.if_match, s.view.etag)) {
      precondition_ok = options_.testing_ignore_if_match;
    }
  }
  if (precondition_ok && pre.if_none_match_present && exists &&
      (pre.if_none_match_any || WeakMatch(pre.if_none_match, s.view.etag))) {
    precondition_ok = false;
  }
  if (!precondition_ok) {
    r.outcome = WriteOutcome::kPreconditionFailed;
    if (exists) r.view = s.view;
    if (metrics_ != nullptr) metrics_->PreconditionFailed();
    abandon_placeholder();
    return r;
  }

  if (!exists) {
    context.correlation_id = RandomUuid();
    context.branch = RandomUuid();
  }
  context.current_text = exists && s.view.body != nullptr ? s.view.body.get() : nullptr;
  context.current_parts = context.current_text != nullptr ? &s.parts : nullptr;
  const std::int64_t members_before = exists ? MemberCount(s.doc) : 0;
  // An update changes the stored document in place (only what the delta
  // touches is copied); a refusal, here or by the merge, leaves it as it was.
  auto merged =
      exists ? MergeDeltaInPlace(&s.doc, delta, context) : MergeDelta(nullptr, delta, context);
  if (!merged.ok()) {
    r.outcome = WriteOutcome::kRefused;
    r.status = merged.status();
    abandon_placeholder();
    return r;
  }
  Json& doc = exists ? s.doc : merged->document;
  if (options_.testing_drop_member_every > 0 && doc["members"].size() >= 2 &&
      testing_writes_.fetch_add(1, std::memory_order_relaxed) %
              options_.testing_drop_member_every ==
          0) {
    if (exists) {
      // The undo record does not cover the dropped member: keep it all.
      Json previous = doc;
      UndoMerge(&previous, merged->undo);
      merged->undo.whole = std::move(previous);
    }
    if (TestingDropMember(&doc, context.caller_xuid)) {
      merged->text = DumpJson(doc);
      merged->parts = DocumentParts{};
    }
  }
  Status v = exists ? ValidateDocument(doc, merged->undo) : ValidateDocument(doc);
  // The capacity bug on purpose: the validator would refuse its result.
  if (options_.testing_skip_capacity_check && v.code() == StatusCode::kTooManyMembers) {
    v = Status::Ok();
  }
  if (!v.ok()) {
    if (exists) UndoMerge(&s.doc, std::move(merged->undo));
    r.outcome = WriteOutcome::kInternal;
    r.status = Status(StatusCode::kInternal, "merged document is invalid: " + v.ToString());
    abandon_placeholder();
    return r;
  }
  if (merged->deleted) {
    Retire(s, members_before);
    *erase = true;
    r.outcome = WriteOutcome::kDeleted;
    return r;
  }
  if (!exists) {
    if (live_sessions_.fetch_add(1, std::memory_order_relaxed) >= options_.max_sessions) {
      live_sessions_.fetch_sub(1, std::memory_order_relaxed);
      r.outcome = WriteOutcome::kStoreFull;
      r.status = Status(StatusCode::kUnavailable,
                        "session limit reached (" + std::to_string(options_.max_sessions) + ")");
      abandon_placeholder();
      return r;
    }
    if (metrics_ != nullptr) metrics_->AddSessions(1);
  }
  const std::int64_t members_after = MemberCount(doc);
  if (metrics_ != nullptr && members_after != members_before) {
    metrics_->AddMembers(members_after - members_before);
  }
  if (!exists) s.doc = std::move(merged->document);
  Commit(s, std::move(merged->text), std::move(merged->parts), now);
  r.outcome = exists ? WriteOutcome::kUpdated : WriteOutcome::kCreated;
  r.view = s.view;
  return r;
}

void SessionStore::Retire(Session& s, std::int64_t members_before) {
  s.exists = false;
  s.dead.store(true, std::memory_order_release);
  s.view = SessionView{};
  s.parts = DocumentParts{};
  s.doc = Json();
  live_sessions_.fetch_sub(1, std::memory_order_relaxed);
  if (metrics_ != nullptr) {
    metrics_->AddMembers(-members_before);
    metrics_->AddSessions(-1);
    metrics_->SessionDeleted();
  }
}

std::size_t SessionStore::Sweep(SteadyClock::time_point now) {
  std::size_t deleted = 0;
  const std::size_t n = std::max<std::size_t>(options_.shards, 1);
  std::vector<std::shared_ptr<Session>> candidates;
  for (std::size_t i = 0; i < n; ++i) {
    candidates.clear();
    {
      MutexLock lock(shards_[i].mu);
      for (const auto& [k, s] : shards_[i].map) {
        if (s->has_timers.load(std::memory_order_relaxed)) candidates.push_back(s);
      }
    }
    for (const auto& s : candidates) {
      bool retired = false;
      {
        MutexLock lock(s->mu);
        retired = SweepLocked(*s, now);
      }
      if (!retired) continue;
      Erase(s->key, s.get());
      ++deleted;
    }
  }
  return deleted;
}

bool SessionStore::SweepLocked(Session& s, SteadyClock::time_point now) {
  if (!s.exists || s.dead.load(std::memory_order_relaxed)) return false;
  const std::int64_t members_before = MemberCount(s.doc);
  bool remove_session = false;
  // Members past their status's removal timeout.
  std::vector<std::int64_t> expired;
  std::array<std::int64_t, kMemberRemovalReasonCount> removed_by{};
  for (const auto& [index, clock] : s.member_clocks) {
    const std::optional<std::int64_t> ms = RemovalTimeoutMs(s.doc, clock.status);
    if (ms && now - clock.since >= std::chrono::milliseconds(*ms)) {
      expired.push_back(index);
      ++removed_by[static_cast<std::size_t>(clock.status)];
    }
  }
  if (!expired.empty()) {
    Json doc = s.doc;
    bool removed = false;
    if (RemoveMembers(&doc, expired) && ValidateDocument(doc, &s.doc).ok()) {
      if (doc["members"].empty() && SessionEmptyTimeoutMs(doc) == 0) {
        remove_session = true;
        removed = true;
      } else {
        // Removing members only shrinks a readable document; checked
        // anyway so that nothing a client cannot read is ever stored.
        std::string text = DumpJson(doc);
        if (CheckReadableByClients(doc, text.size()).ok()) {
          if (metrics_ != nullptr) metrics_->AddMembers(MemberCount(doc) - members_before);
          s.doc = std::move(doc);
          Commit(s, std::move(text), DocumentParts{}, now);
          removed = true;
        }
      }
    }
    if (removed && metrics_ != nullptr) {
      for (std::size_t r = 0; r < kMemberRemovalReasonCount; ++r) {
        metrics_->MembersRemoved(static_cast<MemberRemovalReason>(r), removed_by[r]);
      }
    }
  }
  // Empty past sessionEmptyTimeout.
  const std::int64_t empty_ms = SessionEmptyTimeoutMs(s.doc);
  if (s.empty_since && empty_ms >= 0 &&
      now - *s.empty_since >= std::chrono::milliseconds(empty_ms)) {
    remove_session = true;
  }
  if (!remove_session) return false;
  // Members the session still listed are counted with it (the members
  // removed just above were already subtracted when committed).
  Retire(s, MemberCount(s.doc));
  return true;
}

}  // namespace sessionrig::sessiond
