// The append scenario, the consistency-checked one (consistency.h): every
// action is a read-modify-write that appends a unique token
// to the list properties.custom.tokens of a session chosen by popularity
// (--zipf), written with --mode (sync: SynchronizedUpdate, If-Match); a 412
// reapplies the append to the returned state with a new token. Every
// write, warm-up included, is recorded (prior ETag, new ETag, outcome,
// token, times); the runner reads the final documents back and runs
// CheckAppendSessions over the whole history.
//
// Sessions roll over before documents grow past --append-max-tokens: a
// writer that finds the list full moves to the session's next generation
// ("<run>-<k>-g<n>"). Under SynchronizedUpdate a full list never grows,
// because only a write against the current ETag can land.
//
// Blind modes show why SynchronizedUpdate matters: with --mode update or
// upsert concurrent appends overwrite each other and the check reports the
// lost updates (exit 98).
//
// Scenario statistics: counter rollovers (actions that found their
// session's list full and moved on to its next generation).
#include <cinttypes>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "loadgen/scenario.h"
#include "loadgen/zipf.h"

namespace sessionrig::loadgen {

namespace {

// Rollovers one action may do before giving up (a guard, never reached
// unless documents are refilled faster than an action can read them).
constexpr std::uint32_t kMaxRollovers = 64;

class AppendScenario : public Scenario {
 public:
  explicit AppendScenario(const ScenarioEnv& env)
      : config_(*env.config),
        xuids_(env.xuids),
        sessions_(env.sessions),
        popularity_(env.sessions.size(), env.config->zipf.value_or(0.0)),
        shard_index_(env.shard_index),
        worker_index_(env.worker_index),
        rng_(env.seed),
        generation_(env.sessions.size(), 0) {}

  Step Begin(Action& a) override {
    a.kind = 0;
    a.session = static_cast<std::uint32_t>(popularity_.Sample(rng_));
    a.generation = generation_[a.session];
    a.hops = 0;
    SetReference(a);
    return Step::kRead;  // every mode needs the list it appends to
  }

  Step OnRead(Action& a, HRESULT hr, XblMultiplayerSessionHandle session) override {
    if (FAILED(hr)) return Step::kFailed;  // counted by the worker (read_* counters)
    return AppendTo(a, session, SdkWriteMode(config_.mode));
  }

  Step OnWrite(Action& a, const WriteOutcome& w) override {
    Record(a, w);
    switch (*w.status) {
      case WriteStatus::kUpdated:
      case WriteStatus::kCreated:
        return Step::kSucceeded;
      case WriteStatus::kOutOfSync:
        if (w.result == nullptr) {
          // UpdateExisting on a missing session: create it.
          return AppendTo(a, nullptr, XblMultiplayerSessionWriteMode::SynchronizedUpdate);
        }
        return AppendTo(a, w.result, XblMultiplayerSessionWriteMode::SynchronizedUpdate);
      case WriteStatus::kNotFound:
        return AppendTo(a, nullptr, XblMultiplayerSessionWriteMode::SynchronizedUpdate);
      default:
        return Step::kFailed;
    }
  }

  void OnAbandonedWrite(Action& a, const WriteOutcome& w) override { Record(a, w); }

  void Finish(ScenarioOutput* out) override {
    out->stats.counters["rollovers"] += rollovers_;
    XblMultiplayerSessionReference ref{};
    for (auto& [key, writes] : history_) {
      const auto session = static_cast<std::uint32_t>(key >> 32);
      const auto generation = static_cast<std::uint32_t>(key & 0xFFFFFFFFu);
      MakeSessionReference(ScenarioKind::kAppend, config_.run_id, session, generation, &ref);
      SessionHistory h;
      h.session = ref.SessionName;
      h.writes = std::move(writes);
      out->histories.push_back(std::move(h));
    }
    history_.clear();
  }

 private:
  void SetReference(Action& a) const {
    MakeSessionReference(ScenarioKind::kAppend, config_.run_id, sessions_[a.session], a.generation,
                         &a.ref);
  }

  // The session's token list ([] when absent or unreadable).
  static nlohmann::json TokensOf(XblMultiplayerSessionHandle session) {
    const XblMultiplayerSessionProperties* p = XblMultiplayerSessionSessionProperties(session);
    if (p == nullptr || p->SessionCustomPropertiesJson == nullptr) return nlohmann::json::array();
    nlohmann::json custom = nlohmann::json::parse(p->SessionCustomPropertiesJson, nullptr, false);
    if (!custom.is_object()) return nlohmann::json::array();
    auto it = custom.find("tokens");
    if (it == custom.end() || !it->is_array()) return nlohmann::json::array();
    return std::move(*it);
  }

  // Appends a fresh token to `base`'s list (base null: a new session) and
  // sets up the write; or rolls over to the next generation when the list
  // is full (then the next step reads that generation).
  Step AppendTo(Action& a, XblMultiplayerSessionHandle base, XblMultiplayerSessionWriteMode mode) {
    nlohmann::json tokens = base != nullptr ? TokensOf(base) : nlohmann::json::array();
    if (tokens.size() >= config_.append_max_tokens) {
      if (++a.hops > kMaxRollovers) return Step::kFailed;
      if (a.measured) ++rollovers_;
      generation_[a.session] = std::max(generation_[a.session], a.generation + 1);
      a.generation = generation_[a.session];
      SetReference(a);
      return Step::kRead;
    }
    XblMultiplayerSessionHandle h = nullptr;
    if (base != nullptr) {
      if (FAILED(XblMultiplayerSessionDuplicateHandle(base, &h))) h = nullptr;
    } else {
      h = XblMultiplayerSessionCreateHandle(xuids_[a.user], &a.ref, nullptr);
      // Member-less sessions count as empty: keep them for an hour.
      if (h != nullptr) XblMultiplayerSessionConstantsSetTimeouts(h, 30000, 0, 180000, 3'600'000);
    }
    ResetActionHandle(a, h);
    char token[64];
    std::snprintf(token, sizeof(token), "%u.%u.%" PRIu64, shard_index_, worker_index_,
                  ++next_token_);
    a.token.assign(token);
    tokens.push_back(a.token);
    if (h != nullptr) {
      XblMultiplayerSessionSetCustomPropertyJson(h, "tokens", tokens.dump().c_str());
    }
    a.write_mode = mode;
    a.creating = base == nullptr;
    return Step::kWrite;
  }

  void Record(const Action& a, const WriteOutcome& w) {
    WriteRecord r;
    const char* prior = a.handle != nullptr ? XblMultiplayerSessionEtag(a.handle) : "";
    r.prior_etag = prior != nullptr ? prior : "";
    r.token = a.token;
    r.start_us = w.send_us;
    r.end_us = w.end_us;
    r.outcome = WriteRecord::kUnknown;
    if (w.status.has_value()) {
      switch (*w.status) {
        case WriteStatus::kUpdated:
        case WriteStatus::kCreated: {
          r.outcome = WriteRecord::kAcknowledged;
          const char* etag = w.result != nullptr ? XblMultiplayerSessionEtag(w.result) : nullptr;
          r.new_etag = etag != nullptr ? etag : "";
          break;
        }
        case WriteStatus::kOutOfSync:
        case WriteStatus::kConflict:
        case WriteStatus::kAccessDenied:
        case WriteStatus::kNotFound:
          r.outcome = WriteRecord::kRejected;  // the service refused it: not applied
          break;
        case WriteStatus::kHttpError:
          // 4xx: refused. 5xx: a server error may or may not have applied it.
          r.outcome = (static_cast<std::uint32_t>(w.hr) & 0xFFFFu) >= 500 ? WriteRecord::kUnknown
                                                                          : WriteRecord::kRejected;
          break;
        default:  // timeout, transport, parse error, 204: no usable answer
          r.outcome = WriteRecord::kUnknown;
          break;
      }
    }
    const std::uint64_t key =
        (static_cast<std::uint64_t>(sessions_[a.session]) << 32) | a.generation;
    history_[key].push_back(std::move(r));
  }

  // Constant after construction.
  const Config& config_;
  const std::vector<std::uint64_t> xuids_;
  const std::vector<std::uint32_t> sessions_;
  const ZipfSampler popularity_;
  const std::uint32_t shard_index_;
  const std::uint32_t worker_index_;

  Rng rng_;
  std::vector<std::uint32_t> generation_;  // newest generation seen, per local session
  std::uint64_t next_token_ = 0;
  std::uint64_t rollovers_ = 0;  // measured phase
  // (global session << 32 | generation) -> every write, warm-up included.
  std::unordered_map<std::uint64_t, std::vector<WriteRecord>> history_;
};

}  // namespace

std::unique_ptr<Scenario> CreateAppendScenario(const ScenarioEnv& env) {
  return std::make_unique<AppendScenario>(env);
}

}  // namespace sessionrig::loadgen
