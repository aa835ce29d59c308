#include "loadgen/membership.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace sessionrig::loadgen {

namespace {

constexpr std::size_t kShards = 64;

// An acknowledged join or leave of one user in one life.
struct Event {
  std::uint64_t change_number = 0;
  bool join = false;
  std::int64_t at_us = 0;  // when the client received the acknowledgement
  std::string etag;        // of the acknowledging response
};

struct UserTimeline {
  std::deque<Event> events;  // ascending change numbers, at most kEventsPerUser
  bool truncated = false;    // older events were dropped
  MemberState last_state = MemberState::kActive;  // as last observed
};

struct Seen {
  std::string etag;
  std::uint64_t members_hash = 0;
  std::size_t members = 0;
};

struct Life {
  std::string id;
  std::uint64_t last_use = 0;
  std::unordered_map<std::uint64_t, UserTimeline> users;
  std::map<std::uint32_t, std::uint64_t> xuid_of_index;  // the last kIndexWindow indices
  std::map<std::uint64_t, Seen> by_change;               // the last kChangeWindow change numbers
  std::unordered_map<std::string, std::uint64_t> change_of_etag;
};

std::uint64_t MembersHash(const std::vector<ObservedMember>& members) {
  std::uint64_t h = 1469598103934665603ull;
  for (const ObservedMember& m : members) {
    h = (h ^ m.index) * 1099511628211ull;
    h = (h ^ m.xuid) * 1099511628211ull;
  }
  return h;
}

std::uint64_t TimeoutMs(const ObservedDocument& d, MemberState state) {
  switch (state) {
    case MemberState::kReserved:
      return d.reserved_timeout_ms;
    case MemberState::kInactive:
      return d.inactive_timeout_ms;
    case MemberState::kReady:
      return d.ready_timeout_ms;
    case MemberState::kActive:
      return 0;
  }
  return 0;
}

// "changeNumber 12 (ETag "a-12")".
std::string Version(std::uint64_t change_number, const std::string& etag) {
  return "changeNumber " + std::to_string(change_number) + " (ETag " + etag + ")";
}

}  // namespace

ObservedDocument ObserveSession(XblMultiplayerSessionHandle session, std::int64_t received_us) {
  ObservedDocument d;
  d.received_us = received_us;
  if (session == nullptr) return d;
  if (const XblMultiplayerSessionInfo* info = XblMultiplayerSessionGetInfo(session)) {
    d.change_number = info->ChangeNumber;
    if (info->CorrelationId != nullptr) d.life = info->CorrelationId;
  }
  if (const char* etag = XblMultiplayerSessionEtag(session)) d.etag = etag;
  if (const XblMultiplayerSessionConstants* c = XblMultiplayerSessionSessionConstants(session)) {
    d.max_members = c->MaxMembersInSession;
    d.large = c->SessionCapabilities.Large;
    d.reserved_timeout_ms = c->MemberReservedTimeout;
    d.inactive_timeout_ms = c->MemberInactiveTimeout;
    d.ready_timeout_ms = c->MemberReadyTimeout;
  }
  const XblMultiplayerSessionMember* members = nullptr;
  std::size_t count = 0;
  if (SUCCEEDED(XblMultiplayerSessionMembers(session, &members, &count))) {
    d.members.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      MemberState state = MemberState::kInactive;
      switch (members[i].Status) {
        case XblMultiplayerSessionMemberStatus::Active:
          state = MemberState::kActive;
          break;
        case XblMultiplayerSessionMemberStatus::Ready:
          state = MemberState::kReady;
          break;
        case XblMultiplayerSessionMemberStatus::Reserved:
          state = MemberState::kReserved;
          break;
        default:
          break;
      }
      d.members.push_back({members[i].MemberId, members[i].Xuid, state});
    }
  }
  return d;
}

WriteFact::Outcome OutcomeOf(const std::optional<WriteStatus>& status) {
  if (!status) return WriteFact::Outcome::kUnknown;
  switch (*status) {
    case WriteStatus::kUpdated:
    case WriteStatus::kCreated:
      return WriteFact::Outcome::kApplied;
    case WriteStatus::kSessionDeleted:
      return WriteFact::Outcome::kDeleted;
    case WriteStatus::kOutOfSync:
    case WriteStatus::kConflict:
    case WriteStatus::kAccessDenied:
    case WriteStatus::kNotFound:
      return WriteFact::Outcome::kRejected;
    case WriteStatus::kHttpError:
    case WriteStatus::kTransportError:
    case WriteStatus::kTimeout:
    case WriteStatus::kParseError:
      return WriteFact::Outcome::kUnknown;
  }
  return WriteFact::Outcome::kUnknown;
}

MembershipIntent IntentOf(std::string_view action) {
  if (action == "join") return MembershipIntent::kJoin;
  if (action == "leave") return MembershipIntent::kLeave;
  return MembershipIntent::kNone;
}

const std::vector<std::string>& ConsistencyInvariants() {
  static const std::vector<std::string> kAll = [] {
    std::vector<std::string> all = MembershipInvariants();
    all.push_back(kInvariantAppendHistory);
    return all;
  }();
  return kAll;
}

const std::vector<std::string>& MembershipInvariants() {
  static const std::vector<std::string> kAll = {kInvariantCapacity, kInvariantAcknowledgedJoin,
                                                kInvariantAcknowledgedLeave, kInvariantMemberIndex,
                                                kInvariantEtagOrder};
  return kAll;
}

struct MembershipChecker::Session {
  std::uint64_t next_ticket = 0;
  std::set<std::uint64_t> in_flight;  // tickets of writes not completed yet
  struct Pending {
    std::uint64_t wait_below = 0;  // judged once no ticket below this is in flight
    ObservedDocument document;
  };
  std::deque<Pending> pending;
  std::vector<Life> lives;                    // at most kLivesPerSession
  std::uint64_t uses = 0;                     // for the lives' LRU
  std::unordered_set<std::uint64_t> unknown;  // users with a write of unknown outcome

  Life& LifeOf(const std::string& id) {
    ++uses;
    for (Life& l : lives) {
      if (l.id == id) {
        l.last_use = uses;
        return l;
      }
    }
    if (lives.size() >= kLivesPerSession) {
      auto oldest = std::min_element(lives.begin(), lives.end(), [](const Life& a, const Life& b) {
        return a.last_use < b.last_use;
      });
      lives.erase(oldest);
    }
    lives.emplace_back();
    lives.back().id = id;
    lives.back().last_use = uses;
    return lives.back();
  }
};

struct MembershipChecker::Shard {
  std::mutex mu;
  std::unordered_map<std::string, Session> sessions;  // Guarded by mu
};

MembershipChecker::MembershipChecker(std::size_t max_examples)
    : max_examples_(max_examples), shards_(std::make_unique<Shard[]>(kShards)) {
  for (const std::string& name : MembershipInvariants()) result_.violations[name] = 0;
}

MembershipChecker::~MembershipChecker() = default;

MembershipChecker::Shard& MembershipChecker::ShardFor(std::string_view session) {
  return shards_[std::hash<std::string_view>()(session) % kShards];
}

std::uint64_t MembershipChecker::WriteIssued(std::string_view session) {
  Shard& shard = ShardFor(session);
  std::lock_guard<std::mutex> lock(shard.mu);
  Session& s = shard.sessions[std::string(session)];
  const std::uint64_t ticket = s.next_ticket++;
  s.in_flight.insert(ticket);
  return ticket;
}

void MembershipChecker::WriteCompleted(std::string_view session, std::uint64_t ticket,
                                       const WriteFact& fact, const ObservedDocument* response) {
  Shard& shard = ShardFor(session);
  std::lock_guard<std::mutex> lock(shard.mu);
  Session& s = shard.sessions[std::string(session)];
  const bool membership = fact.intent != MembershipIntent::kNone;
  if (membership && fact.outcome == WriteFact::Outcome::kUnknown) s.unknown.insert(fact.xuid);
  if (membership && fact.outcome == WriteFact::Outcome::kApplied && response != nullptr &&
      !response->large) {
    const bool listed = std::any_of(response->members.begin(), response->members.end(),
                                    [&](const ObservedMember& m) { return m.xuid == fact.xuid; });
    const bool join = fact.intent == MembershipIntent::kJoin;
    // Acknowledged: a join that lists the user, a leave that does not.
    if (join == listed) {
      UserTimeline& t = s.LifeOf(response->life).users[fact.xuid];
      Event e{response->change_number, join, response->received_us, response->etag};
      auto at =
          std::upper_bound(t.events.begin(), t.events.end(), e.change_number,
                           [](std::uint64_t cn, const Event& x) { return cn < x.change_number; });
      t.events.insert(at, std::move(e));
      if (t.events.size() > kEventsPerUser) {
        t.events.pop_front();
        t.truncated = true;
      }
      std::lock_guard<std::mutex> result_lock(result_mu_);
      ++result_.acknowledged;
    }
  }
  s.in_flight.erase(ticket);
  if (response != nullptr) s.pending.push_back({s.next_ticket, *response});
  Drain(session, s, /*all=*/false);
}

void MembershipChecker::Observe(std::string_view session, ObservedDocument document) {
  Shard& shard = ShardFor(session);
  std::lock_guard<std::mutex> lock(shard.mu);
  Session& s = shard.sessions[std::string(session)];
  s.pending.push_back({s.next_ticket, std::move(document)});
  Drain(session, s, /*all=*/false);
}

void MembershipChecker::Drain(std::string_view name, Session& s, bool all) {
  // wait_below never decreases along the queue, so once the front waits,
  // everything behind it does too.
  while (!s.pending.empty()) {
    if (!all && !s.in_flight.empty() && *s.in_flight.begin() < s.pending.front().wait_below) {
      return;
    }
    Judge(name, s, s.pending.front().document);
    s.pending.pop_front();
  }
}

void MembershipChecker::Judge(std::string_view name, Session& s, const ObservedDocument& d) {
  {
    std::lock_guard<std::mutex> result_lock(result_mu_);
    ++result_.documents;
  }
  const std::string where = "session " + std::string(name) + ": ";
  Life& life = s.LifeOf(d.life);

  if (!d.large && d.members.size() > d.max_members) {
    Violation(kInvariantCapacity, where + Version(d.change_number, d.etag) + " lists " +
                                      std::to_string(d.members.size()) +
                                      " members, over its maxMembersCount " +
                                      std::to_string(d.max_members));
  }

  // One state per change number, one change number per ETag.
  const std::uint64_t hash = MembersHash(d.members);
  if (auto seen = life.by_change.find(d.change_number); seen != life.by_change.end()) {
    if (seen->second.etag != d.etag || seen->second.members_hash != hash) {
      Violation(kInvariantEtagOrder, where + "changeNumber " + std::to_string(d.change_number) +
                                         " was received as two states: ETag " + seen->second.etag +
                                         " with " + std::to_string(seen->second.members) +
                                         " members and ETag " + d.etag + " with " +
                                         std::to_string(d.members.size()));
    }
  } else {
    life.by_change.emplace(d.change_number, Seen{d.etag, hash, d.members.size()});
    if (auto other = life.change_of_etag.find(d.etag);
        other != life.change_of_etag.end() && other->second != d.change_number) {
      Violation(kInvariantEtagOrder, where + "ETag " + d.etag + " names changeNumber " +
                                         std::to_string(other->second) + " and changeNumber " +
                                         std::to_string(d.change_number));
    } else {
      life.change_of_etag.emplace(d.etag, d.change_number);
    }
    if (life.by_change.size() > kChangeWindow) {
      life.change_of_etag.erase(life.by_change.begin()->second.etag);
      life.by_change.erase(life.by_change.begin());
    }
  }

  // A member index names one user for the whole life.
  for (const ObservedMember& m : d.members) {
    auto [it, inserted] = life.xuid_of_index.emplace(m.index, m.xuid);
    if (!inserted && it->second != m.xuid) {
      Violation(kInvariantMemberIndex,
                where + "member index " + std::to_string(m.index) + " named user " +
                    std::to_string(it->second) + " and, at " + Version(d.change_number, d.etag) +
                    ", user " + std::to_string(m.xuid) + " (indices are never reused)");
    }
  }
  while (life.xuid_of_index.size() > kIndexWindow)
    life.xuid_of_index.erase(life.xuid_of_index.begin());

  if (d.large) return;  // lists the reader only
  // Acknowledged joins and leaves, by the latest one before this version.
  for (auto& [xuid, timeline] : life.users) {
    if (s.unknown.count(xuid) != 0) continue;
    const Event* latest = nullptr;
    for (auto e = timeline.events.rbegin(); e != timeline.events.rend(); ++e) {
      if (e->change_number <= d.change_number) {
        latest = &*e;
        break;
      }
    }
    if (latest == nullptr) continue;  // no expectation (or only dropped events could say)
    auto member = std::find_if(d.members.begin(), d.members.end(),
                               [&, x = xuid](const ObservedMember& m) { return m.xuid == x; });
    const bool listed = member != d.members.end();
    if (listed && latest->join) timeline.last_state = member->state;
    if (latest->join && !listed) {
      const std::uint64_t timeout = TimeoutMs(d, timeline.last_state);
      if (timeline.last_state != MemberState::kActive && timeout > 0 &&
          d.received_us - latest->at_us >= static_cast<std::int64_t>(timeout) * 1000) {
        std::lock_guard<std::mutex> result_lock(result_mu_);
        ++result_.lifecycle_removals;
      } else {
        Violation(kInvariantAcknowledgedJoin,
                  where + "user " + std::to_string(xuid) + " joined at " +
                      Version(latest->change_number, latest->etag) + " and is missing at " +
                      Version(d.change_number, d.etag));
      }
    } else if (!latest->join && listed) {
      Violation(kInvariantAcknowledgedLeave, where + "user " + std::to_string(xuid) + " left at " +
                                                 Version(latest->change_number, latest->etag) +
                                                 " and is listed again at " +
                                                 Version(d.change_number, d.etag));
    }
  }
}

void MembershipChecker::Violation(const char* invariant, std::string example) {
  std::lock_guard<std::mutex> lock(result_mu_);
  ++result_.violations[invariant];
  if (result_.examples.size() < max_examples_) {
    result_.examples.push_back(std::string(invariant) + ": " + std::move(example));
  }
}

std::vector<std::string> MembershipChecker::Sessions() {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    for (const auto& [name, s] : shards_[i].sessions) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

MembershipResult MembershipChecker::Finish() {
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    for (auto& [name, s] : shards_[i].sessions) Drain(name, s, /*all=*/true);
  }
  std::lock_guard<std::mutex> lock(result_mu_);
  return result_;
}

}  // namespace sessionrig::loadgen
