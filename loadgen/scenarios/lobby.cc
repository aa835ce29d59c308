// The lobby scenario: N users rush K lobbies of capacity M.
//
// A user who is not in a lobby joins one (read-modify-write of "me" with
// --mode; 412: reapply to the returned state; full, by document or 409:
// move to the next lobby, giving up when every lobby was full); a user in
// a lobby leaves it on their next turn, so lobbies fill, empty (and are
// deleted: sessionEmptyTimeout 0) and fill again for the whole run.
// Measures time to join (join_time_us), attempts per join, fill time
// (first seated member to full) and fairness (successful joins per user).
#include "loadgen/scenarios/join_leave.h"

namespace sessionrig::loadgen {

std::unique_ptr<Scenario> CreateLobbyScenario(const ScenarioEnv& env) {
  JoinLeaveOptions options;
  options.move_on_full = true;
  options.track_fills = true;
  options.empty_timeout_ms = 0;
  return std::make_unique<JoinLeaveScenario>(env, options);
}

}  // namespace sessionrig::loadgen
