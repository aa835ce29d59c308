#include "sessionrig/json_object.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <utility>

namespace sessionrig {
namespace {

using nlohmann::json;

TEST(JsonObject, EmptyReadsAsAnEmptyObject) {
  const JsonObject o;
  EXPECT_TRUE(o.empty());
  EXPECT_TRUE(o.value().is_object());
  EXPECT_TRUE(o.value().empty());
  EXPECT_EQ(o.value().dump(), "{}");
}

TEST(JsonObject, EmptyEqualsAnAssignedEmptyObject) {
  JsonObject assigned;
  assigned = json::object();
  EXPECT_TRUE(assigned.empty());
  EXPECT_EQ(assigned, JsonObject());
  EXPECT_EQ(JsonObject(json::object()), JsonObject());
  EXPECT_EQ(assigned.value(), json::object());
}

TEST(JsonObject, ComparesByValue) {
  const JsonObject a(json{{"map", "dunes"}, {"rank", 3}});
  const JsonObject b(json{{"rank", 3}, {"map", "dunes"}});
  const JsonObject c(json{{"map", "ctf"}});
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, JsonObject());
  EXPECT_NE(JsonObject(), a);
}

TEST(JsonObject, KeepsTheObjectAndItsSortedKeyOrder) {
  const json object = {{"b", 1}, {"a", {{"nested", true}}}};
  const JsonObject o(object);
  EXPECT_EQ(o.value(), object);
  EXPECT_EQ(o.value().dump(), R"({"a":{"nested":true},"b":1})");
}

TEST(JsonObject, MutableValueMakesTheObjectOnDemand) {
  JsonObject o;
  o.mutable_value()["k"] = "v";
  EXPECT_FALSE(o.empty());
  EXPECT_EQ(o.value(), json({{"k", "v"}}));
  EXPECT_EQ(o, JsonObject(json{{"k", "v"}}));
}

TEST(JsonObject, EmptiedInPlaceIsEmpty) {
  JsonObject o(json{{"k", "v"}});
  o.mutable_value().erase("k");
  EXPECT_TRUE(o.empty());
  EXPECT_EQ(o, JsonObject());
  EXPECT_EQ(JsonObject(), o);
  EXPECT_EQ(o.value().dump(), "{}");
  // Asked for and left unchanged: still empty.
  JsonObject untouched;
  (void)untouched.mutable_value();
  EXPECT_TRUE(untouched.empty());
  EXPECT_EQ(untouched, JsonObject());
}

TEST(JsonObject, CopiesAndMoves) {
  const JsonObject original(json{{"k", 1}});
  JsonObject copy = original;
  EXPECT_EQ(copy, original);
  copy.mutable_value()["k"] = 2;
  EXPECT_EQ(original.value(), json({{"k", 1}}));  // the copy is independent

  JsonObject moved = std::move(copy);
  EXPECT_EQ(moved.value(), json({{"k", 2}}));

  JsonObject target(json{{"old", true}});
  target = original;
  EXPECT_EQ(target, original);
  target = JsonObject();
  EXPECT_TRUE(target.empty());
}

TEST(JsonObject, AssignmentReplacesTheObject) {
  JsonObject o(json{{"a", 1}});
  o = json{{"b", 2}};
  EXPECT_EQ(o.value(), json({{"b", 2}}));
  o = json::object();
  EXPECT_TRUE(o.empty());
}

TEST(JsonObject, RefusesAValueThatIsNotAnObject) {
  EXPECT_THROW(JsonObject{json::array()}, std::invalid_argument);
  EXPECT_THROW(JsonObject{json(nullptr)}, std::invalid_argument);
  JsonObject o(json{{"a", 1}});
  EXPECT_THROW(o = json(5), std::invalid_argument);
  EXPECT_EQ(o.value(), json({{"a", 1}}));  // unchanged
}

}  // namespace
}  // namespace sessionrig
