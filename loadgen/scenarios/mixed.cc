// The mixed scenario: a weighted mix of session writes over a Zipf(theta)
// session popularity, so contention is a dial (--zipf 0: uniform over the
// sessions; --zipf 1.2: a few very hot sessions take most writes).
// --update-fraction of the arrivals write a session custom property on a
// popular session; the rest toggle the user's membership (join a popular
// session, or leave the one the user is in). Sessions created here persist
// while empty for an hour (sessionEmptyTimeout 3600000 ms), as a title's
// long-lived sessions do.
#include "loadgen/scenarios/join_leave.h"

namespace sessionrig::loadgen {

std::unique_ptr<Scenario> CreateMixedScenario(const ScenarioEnv& env) {
  JoinLeaveOptions options;
  options.move_on_full = false;
  options.track_fills = false;
  options.empty_timeout_ms = 3'600'000;
  options.update_fraction = env.config->update_fraction;
  return std::make_unique<JoinLeaveScenario>(env, options);
}

}  // namespace sessionrig::loadgen
