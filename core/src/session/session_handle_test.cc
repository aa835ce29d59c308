#include "session/session_handle.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "session/handle_test_util.h"

namespace sessionrig::testing {
namespace {

using nlohmann::json;

// ---- Handles from responses and getters -------------------------------------------

TEST(SessionHandle, GettersReflectTheResponse) {
  Handle h(FromService());
  ASSERT_NE(h.get(), nullptr);
  EXPECT_STREQ(XblMultiplayerSessionEtag(h.get()), kEtag);
  EXPECT_EQ(SessionEtag(*h.get()), kEtag);
  EXPECT_EQ(SessionXuid(*h.get()), kMe);
  EXPECT_STREQ(SessionRef(*h.get()).SessionName, "session-1");
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(h.get()), XblWriteSessionStatus::Updated);

  const XblMultiplayerSessionInfo* info = XblMultiplayerSessionGetInfo(h.get());
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->ContractVersion, 107u);
  EXPECT_EQ(info->ChangeNumber, 3u);
  EXPECT_STREQ(info->CorrelationId, "06365b64-3067-8039-ecee-3608af3d02fc");
  EXPECT_STREQ(info->Branch, "");

  const XblMultiplayerSessionConstants* c = XblMultiplayerSessionSessionConstants(h.get());
  EXPECT_EQ(c->MaxMembersInSession, 8u);
  EXPECT_EQ(c->Visibility, XblMultiplayerSessionVisibility::Open);
  EXPECT_EQ(c->SessionEmptyTimeout, 0u);
  EXPECT_EQ(c->MemberReservedTimeout, 0u);  // absent: 0, what the document says
  EXPECT_EQ(json::parse(c->CustomJson), json({{"mode", "ctf"}}));

  const XblMultiplayerSessionProperties* p = XblMultiplayerSessionSessionProperties(h.get());
  EXPECT_EQ(p->JoinRestriction, XblMultiplayerSessionRestriction::Followed);
  EXPECT_FALSE(p->Closed);
  EXPECT_EQ(p->KeywordCount, 0u);

  const XblMultiplayerSessionMember* members = nullptr;
  size_t count = 0;
  ASSERT_EQ(XblMultiplayerSessionMembers(h.get(), &members, &count), S_OK);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(members[0].MemberId, 0u);
  EXPECT_EQ(members[0].Xuid, kMe);
  EXPECT_STREQ(members[0].Gamertag, "PlayerOne");
  EXPECT_EQ(members[0].Status, XblMultiplayerSessionMemberStatus::Active);
  EXPECT_TRUE(members[0].IsCurrentUser);
  EXPECT_EQ(members[1].Xuid, kOther);
  EXPECT_EQ(members[1].Status, XblMultiplayerSessionMemberStatus::Reserved);
  EXPECT_FALSE(members[1].IsCurrentUser);
  EXPECT_STREQ(members[1].CustomPropertiesJson, "{}");
  EXPECT_EQ(XblMultiplayerSessionCurrentUser(h.get()), &members[0]);
  EXPECT_EQ(XblMultiplayerSessionMembers(h.get(), nullptr, &count), E_INVALIDARG);
}

TEST(SessionHandle, ChangesShowInGetters) {
  Handle h(FromService());
  XblMultiplayerSessionPropertiesSetClosed(h.get(), true);
  EXPECT_TRUE(XblMultiplayerSessionSessionProperties(h.get())->Closed);
}

TEST(SessionHandle, DeletedSessionFromA204) {
  ParsedResponse r = ParseWriteResponse(204, {}, "");
  ASSERT_EQ(r.hr, S_OK);
  Handle h(MakeSessionFromResponse(kMe, Ref(), r));
  ASSERT_NE(h.get(), nullptr);
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(h.get()), XblWriteSessionStatus::SessionDeleted);
  EXPECT_STREQ(XblMultiplayerSessionEtag(h.get()), "");
  const XblMultiplayerSessionMember* members = nullptr;
  size_t count = 7;
  ASSERT_EQ(XblMultiplayerSessionMembers(h.get(), &members, &count), S_OK);
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(XblMultiplayerSessionCurrentUser(h.get()), nullptr);
  EXPECT_EQ(BuildWriteRequestBody(*h.get()), "{}");
}

TEST(SessionHandle, OutOfSyncHandleKeepsTheLatestState) {
  ParsedResponse r = ParseWriteResponse(
      412, {{"Content-Type", "application/json"}, {"ETag", "\"etag-2\""}}, kExampleSession);
  ASSERT_EQ(r.hr, S_OK);
  Handle h(MakeSessionFromResponse(kMe, Ref(), r));
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(h.get()), XblWriteSessionStatus::OutOfSync);
  EXPECT_STREQ(XblMultiplayerSessionEtag(h.get()), "\"etag-2\"");
  EXPECT_EQ(XblMultiplayerSessionGetInfo(h.get())->ChangeNumber, 3u);
}

TEST(SessionHandle, DuplicateAndCloseCountReferences) {
  XblMultiplayerSessionHandle h = Local();
  XblMultiplayerSessionHandle dup = nullptr;
  ASSERT_EQ(XblMultiplayerSessionDuplicateHandle(h, &dup), S_OK);
  EXPECT_EQ(dup, h);
  EXPECT_EQ(XblMultiplayerSessionDuplicateHandle(h, nullptr), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionDuplicateHandle(nullptr, &dup), E_INVALIDARG);
  XblMultiplayerSessionCloseHandle(h);
  // Still alive through the duplicate (ASan would report a use after free).
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(dup), XblWriteSessionStatus::Unknown);
  XblMultiplayerSessionCloseHandle(dup);
  XblMultiplayerSessionCloseHandle(nullptr);
}

TEST(SessionHandle, NullHandleGetters) {
  EXPECT_EQ(XblMultiplayerSessionSessionConstants(nullptr), nullptr);
  EXPECT_EQ(XblMultiplayerSessionSessionProperties(nullptr), nullptr);
  EXPECT_EQ(XblMultiplayerSessionGetInfo(nullptr), nullptr);
  EXPECT_EQ(XblMultiplayerSessionEtag(nullptr), nullptr);
  EXPECT_EQ(XblMultiplayerSessionCurrentUser(nullptr), nullptr);
  EXPECT_EQ(XblMultiplayerSessionSessionReference(nullptr), nullptr);
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(nullptr), XblWriteSessionStatus::Unknown);
  EXPECT_EQ(XblMultiplayerSessionLeave(nullptr), E_INVALIDARG);
}

TEST(SessionHandle, ConcurrentReadersSeeTheSameViews) {
  Handle h(FromService());
  std::vector<const XblMultiplayerSessionMember*> seen(8, nullptr);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&h, &seen, i] {
      const XblMultiplayerSessionMember* members = nullptr;
      size_t count = 0;
      if (XblMultiplayerSessionMembers(h.get(), &members, &count) == S_OK && count == 2) {
        seen[i] = members;
      }
      (void)BuildWriteRequestBody(*h.get());
    });
  }
  for (std::thread& t : threads) t.join();
  for (const XblMultiplayerSessionMember* m : seen) EXPECT_EQ(m, seen[0]);
  EXPECT_NE(seen[0], nullptr);
}

// ---- Session references --------------------------------------------------------------

TEST(SessionReference, CreateCutsToFitAndIsValidChecksSegments) {
  XblMultiplayerSessionReference ref = Ref();
  EXPECT_TRUE(XblMultiplayerSessionReferenceIsValid(&ref));
  EXPECT_STREQ(ref.SessionTemplateName, "lobby");

  const std::string long_name(300, 'n');
  XblMultiplayerSessionReference cut =
      XblMultiplayerSessionReferenceCreate("scid", "lobby", long_name.c_str());
  EXPECT_EQ(std::strlen(cut.SessionName), sizeof(cut.SessionName) - 1);
  EXPECT_TRUE(XblMultiplayerSessionReferenceIsValid(&cut));

  for (const char* name : {"", "a/b", "a?b", "a#b", "a%2F", "a b", "a\tb", "a\x7f"}) {
    XblMultiplayerSessionReference bad = XblMultiplayerSessionReferenceCreate("scid", "t", name);
    EXPECT_FALSE(XblMultiplayerSessionReferenceIsValid(&bad)) << name;
  }
  XblMultiplayerSessionReference nulls =
      XblMultiplayerSessionReferenceCreate(nullptr, nullptr, nullptr);
  EXPECT_FALSE(XblMultiplayerSessionReferenceIsValid(&nulls));
  EXPECT_FALSE(XblMultiplayerSessionReferenceIsValid(nullptr));
  XblMultiplayerSessionReference unterminated{};
  std::memset(&unterminated, 'x', sizeof(unterminated));
  EXPECT_FALSE(XblMultiplayerSessionReferenceIsValid(&unterminated));
}

}  // namespace
}  // namespace sessionrig::testing
