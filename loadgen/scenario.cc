#include "loadgen/scenario.h"

#include <chrono>
#include <cstdio>
#include <cstring>

namespace sessionrig::loadgen {

XblMultiplayerSessionWriteMode SdkWriteMode(WriteMode mode) {
  switch (mode) {
    case WriteMode::kSync:
      return XblMultiplayerSessionWriteMode::SynchronizedUpdate;
    case WriteMode::kUpdate:
      return XblMultiplayerSessionWriteMode::UpdateExisting;
    case WriteMode::kCreate:
      return XblMultiplayerSessionWriteMode::CreateNew;
    case WriteMode::kUpsert:
      return XblMultiplayerSessionWriteMode::UpdateOrCreateNew;
  }
  return XblMultiplayerSessionWriteMode::SynchronizedUpdate;
}

void MakeSessionReference(ScenarioKind scenario, const std::string& run_id, std::uint32_t index,
                          std::uint32_t generation, XblMultiplayerSessionReference* ref) {
  std::memset(ref, 0, sizeof(*ref));
  std::snprintf(ref->Scid, sizeof(ref->Scid), "%s", kLoadgenScid);
  std::snprintf(ref->SessionTemplateName, sizeof(ref->SessionTemplateName), "%s",
                ScenarioName(scenario));
  if (generation == 0) {
    std::snprintf(ref->SessionName, sizeof(ref->SessionName), "%s-%u", run_id.c_str(), index);
  } else {
    std::snprintf(ref->SessionName, sizeof(ref->SessionName), "%s-%u-g%u", run_id.c_str(), index,
                  generation);
  }
}

void Scenario::OnAbandonedWrite(Action&, const WriteOutcome&) {}

std::vector<std::string> ActionNames(ScenarioKind scenario) {
  switch (scenario) {
    case ScenarioKind::kLobby:
    case ScenarioKind::kChurn:
      return {"join", "leave"};
    case ScenarioKind::kAppend:
      return {"append"};
    case ScenarioKind::kMixed:
      return {"join", "leave", "update"};
  }
  return {};
}

std::unique_ptr<Scenario> CreateScenario(const ScenarioEnv& env) {
  switch (env.config->scenario) {
    case ScenarioKind::kLobby:
      return CreateLobbyScenario(env);
    case ScenarioKind::kAppend:
      return CreateAppendScenario(env);
    case ScenarioKind::kChurn:
      return CreateChurnScenario(env);
    case ScenarioKind::kMixed:
      return CreateMixedScenario(env);
  }
  return nullptr;
}

void ResetActionHandle(Action& a, XblMultiplayerSessionHandle h) {
  if (a.handle != nullptr) XblMultiplayerSessionCloseHandle(a.handle);
  a.handle = h;
}

std::int64_t WallClockUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sessionrig::loadgen
