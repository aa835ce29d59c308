// loadgen/scenario.h: the one small interface every scenario implements,
// and what workers and scenarios share (sessions' names, per-action state).
//
// A scenario turns an arrival into an ACTION (join a lobby, append a
// token, ...) made of steps. Each step is a read (XblMultiplayerGetSession)
// or a write (XblMultiplayerWriteSession) that the worker issues; when it
// completes, the worker hands the result back and the scenario says what
// comes next: another read or write (a retry after 412, a move to another
// lobby), or the end of the action (succeeded or failed). The worker owns
// the clocks, the measurements and the async machinery; the scenario owns
// the game logic and its own statistics. Retries are issued at once: they
// are part of the action, not new arrivals.
//
// --mode picks the write mode of an action's FIRST write: sync reads the
// session first and writes with SynchronizedUpdate (If-Match: its ETag, or
// If-None-Match: * when it does not exist yet); update, create and upsert
// write blind with UpdateExisting, CreateNew, UpdateOrCreateNew. Whatever the
// mode, a 412 is answered by reapplying the change to the returned state
// and writing again with SynchronizedUpdate (the SDK's documented
// pattern), so create is "create or join" and update on a missing session
// creates it on the retry.
//
// Threading and ownership: one Scenario object per worker thread
// (share-nothing); all calls come from that thread. Handles passed to
// OnRead/OnWrite are borrowed for the call (Duplicate to keep them);
// Action::handle is owned by the action (the worker closes it when the
// action ends).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/config.h"
#include "loadgen/consistency.h"
#include "loadgen/summary.h"
#include "loadgen/write_status.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig::loadgen {

// The service configuration id every scenario's sessions live under.
inline constexpr char kLoadgenScid[] = "00000000-0000-0000-0000-00006c6f6164";

// Sets `ref` to session `index` of `scenario` in run `run_id`: template
// "<scenario>", name "<run_id>-<index>" ("<run_id>-<index>-g<generation>"
// for generation > 0). No allocation.
void MakeSessionReference(ScenarioKind scenario, const std::string& run_id, std::uint32_t index,
                          std::uint32_t generation, XblMultiplayerSessionReference* ref);

// The SDK write mode of --mode (sync: SynchronizedUpdate, update:
// UpdateExisting, create: CreateNew, upsert: UpdateOrCreateNew).
XblMultiplayerSessionWriteMode SdkWriteMode(WriteMode mode);

// What the worker does next for an action.
enum class Step {
  kRead,       // GET Action::ref
  kWrite,      // write Action::handle with Action::write_mode
  kSucceeded,  // the action is over and reached its goal
  kFailed,     // the action is over without reaching it
};

// The state of one action in flight. The worker resets it before Begin().
struct Action {
  // Set by the worker.
  std::uint32_t user = 0;        // worker-local user index (ScenarioEnv::xuids)
  std::int64_t intended_us = 0;  // intended start, us since run start
  bool measured = false;         // started in the measured phase (not warm-up)
  std::uint32_t attempts = 0;    // writes issued so far (the worker counts)

  // Set by the scenario.
  std::uint8_t kind = 0;                         // index into ActionNames(scenario)
  std::uint32_t session = 0;                     // scenario-local session index
  std::uint32_t generation = 0;                  // append: session generation (rollover)
  std::uint32_t hops = 0;                        // lobby: lobbies tried by this join
  bool creating = false;                         // the current write may create the session
  XblMultiplayerSessionReference ref{};          // what kRead reads
  XblMultiplayerSessionHandle handle = nullptr;  // what kWrite writes (owned)
  XblMultiplayerSessionWriteMode write_mode = XblMultiplayerSessionWriteMode::SynchronizedUpdate;
  std::string token;  // append: the token the current write appends
};

// One completed (or abandoned) write, as the scenario sees it.
struct WriteOutcome {
  std::optional<WriteStatus> status;  // nullopt: cancelled (E_ABORT), outcome unknown
  HRESULT hr = S_OK;
  XblMultiplayerSessionHandle result = nullptr;  // the returned session (borrowed); may be null
  std::int64_t send_us = 0;                      // when it was sent, us since run start
  std::int64_t end_us = 0;                       // when it completed, us since run start
};

// What a worker gives its scenario.
struct ScenarioEnv {
  const Config* config = nullptr;  // resolved (ResolveAndValidate); outlives the scenario
  std::uint32_t shard_index = 0;
  std::uint32_t worker_index = 0;    // within the shard
  std::vector<std::uint64_t> xuids;  // this worker's users
  std::vector<std::uint32_t>
      sessions;            // global indices of the shard's sessions (all workers share)
  std::uint64_t seed = 1;  // this worker's seed
};

// What a scenario measured, handed over once after the run.
struct ScenarioOutput {
  Summary::ScenarioStats stats;
  // append only: every write, per session (final documents not filled in).
  std::vector<SessionHistory> histories;
};

class Scenario {
 public:
  virtual ~Scenario() = default;

  // A new action for `a.user`: set kind and state, return the first step
  // (kRead/kWrite; or kSucceeded/kFailed when there is nothing to do).
  virtual Step Begin(Action& a) = 0;

  // The read of `a.ref` completed with `hr`; `session` is null when the
  // session does not exist (or on failure).
  virtual Step OnRead(Action& a, HRESULT hr, XblMultiplayerSessionHandle session) = 0;

  // The write of `a.handle` completed; `w.status` is set.
  virtual Step OnWrite(Action& a, const WriteOutcome& w) = 0;

  // The run ended while a write of `a` was in flight or completing: `w` is
  // what became of it (status nullopt when the cancel won; else the real
  // outcome, which is not counted in the results but may matter for the
  // consistency history). Default: nothing.
  virtual void OnAbandonedWrite(Action& a, const WriteOutcome& w);

  // Hands over the statistics (measured phase only) and histories.
  virtual void Finish(ScenarioOutput* out) = 0;
};

// Action kind names of `scenario`, the `action` label of
// sessionrig_action_duration_seconds: lobby/churn {join, leave}, append
// {append}, mixed {join, leave, update}.
std::vector<std::string> ActionNames(ScenarioKind scenario);

// The scenario `env.config->scenario` for one worker.
std::unique_ptr<Scenario> CreateScenario(const ScenarioEnv& env);

// Scenario factories (scenarios/*.cc).
std::unique_ptr<Scenario> CreateLobbyScenario(const ScenarioEnv& env);
std::unique_ptr<Scenario> CreateAppendScenario(const ScenarioEnv& env);
std::unique_ptr<Scenario> CreateChurnScenario(const ScenarioEnv& env);
std::unique_ptr<Scenario> CreateMixedScenario(const ScenarioEnv& env);

// Replaces `a.handle` (closing the old one) with `h` (taken over).
void ResetActionHandle(Action& a, XblMultiplayerSessionHandle h);

// Microseconds since the unix epoch (wall clock; comparable across processes).
std::int64_t WallClockUs();

}  // namespace sessionrig::loadgen
