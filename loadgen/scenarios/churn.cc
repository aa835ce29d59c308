// The churn scenario: join/leave cycles over many small sessions with
// sessionEmptyTimeout 0, so sessions are created (201) and deleted (204)
// all the time and creations race (two users creating the same session:
// one 201, one 412 with If-None-Match: *, counted in create_races). Each
// user alternates: join a session chosen by popularity (--zipf), then
// leave it. --mode create makes every join a CreateNew-first
// create-or-join. A full session (409) fails the join (no moving on).
#include "loadgen/scenarios/join_leave.h"

namespace sessionrig::loadgen {

std::unique_ptr<Scenario> CreateChurnScenario(const ScenarioEnv& env) {
  JoinLeaveOptions options;
  options.move_on_full = false;
  options.track_fills = false;
  options.empty_timeout_ms = 0;
  return std::make_unique<JoinLeaveScenario>(env, options);
}

}  // namespace sessionrig::loadgen
