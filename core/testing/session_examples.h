// testing/session_examples.h: the session documents the core's tests share,
// so every test reads the same bytes (docs/protocol.md "The session
// document" shows the example).
#pragma once

namespace sessionrig::testing {

// The example document of docs/protocol.md: two members (the first active
// with custom properties, the second reserved), custom constants and
// properties, membersInfo consistent with the members.
inline constexpr char kExampleSession[] = R"({"contractVersion":107,"changeNumber":3,
 "correlationId":"06365b64-3067-8039-ecee-3608af3d02fc",
 "constants":{"system":{"version":1,"maxMembersCount":8,"visibility":"open",
   "sessionEmptyTimeout":0},"custom":{"mode":"ctf"}},
 "properties":{"system":{"joinRestriction":"followed","closed":false},
   "custom":{"map":"dunes"}},
 "membersInfo":{"first":0,"next":2,"count":2,"accepted":2,"active":1},
 "members":{
  "0":{"constants":{"system":{"index":0,"xuid":"2533274790412345"},"custom":{}},
       "properties":{"system":{"active":true},"custom":{"color":"red","rank":3}},
       "gamertag":"PlayerOne","next":1},
  "1":{"constants":{"system":{"index":1,"xuid":"2533274790498765"},"custom":{}},
       "properties":{"system":{},"custom":{}},"reserved":true,"next":2}}})";

// The xuids of its two members.
inline constexpr unsigned long long kExampleXuid0 = 2533274790412345ULL;
inline constexpr unsigned long long kExampleXuid1 = 2533274790498765ULL;

}  // namespace sessionrig::testing
