#include "loadgen/write_status.h"

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

using WS = XblWriteSessionStatus;

TEST(ClassifyWriteResultTest, SuccessesByWriteStatus) {
  EXPECT_EQ(ClassifyWriteResult(S_OK, WS::Updated), WriteStatus::kUpdated);
  EXPECT_EQ(ClassifyWriteResult(S_OK, WS::Created), WriteStatus::kCreated);
  EXPECT_EQ(ClassifyWriteResult(S_OK, WS::SessionDeleted), WriteStatus::kSessionDeleted);
  // 412 with the latest session: the call succeeds, and it is never a success.
  EXPECT_EQ(ClassifyWriteResult(S_OK, WS::OutOfSync), WriteStatus::kOutOfSync);
  EXPECT_EQ(ClassifyWriteResult(S_OK, WS::Unknown), WriteStatus::kHttpError);
}

TEST(ClassifyWriteResultTest, FailuresByHresult) {
  EXPECT_EQ(ClassifyWriteResult(HTTP_E_STATUS_PRECOND_FAILED, WS::Unknown),
            WriteStatus::kOutOfSync);
  EXPECT_EQ(ClassifyWriteResult(HTTP_E_STATUS_CONFLICT, WS::Unknown), WriteStatus::kConflict);
  EXPECT_EQ(ClassifyWriteResult(HTTP_E_STATUS_DENIED, WS::Unknown), WriteStatus::kAccessDenied);
  EXPECT_EQ(ClassifyWriteResult(HTTP_E_STATUS_FORBIDDEN, WS::Unknown), WriteStatus::kAccessDenied);
  EXPECT_EQ(ClassifyWriteResult(HTTP_E_STATUS_NOT_FOUND, WS::Unknown), WriteStatus::kNotFound);
  EXPECT_EQ(ClassifyWriteResult(HTTP_E_STATUS_SERVICE_UNAVAIL, WS::Unknown),
            WriteStatus::kHttpError);
  EXPECT_EQ(ClassifyWriteResult(HTTP_E_STATUS_429, WS::Unknown), WriteStatus::kHttpError);
  EXPECT_EQ(ClassifyWriteResult(HTTP_E_STATUS_UNEXPECTED, WS::Unknown), WriteStatus::kHttpError);
  EXPECT_EQ(ClassifyWriteResult(HTTP_E_STATUS_BAD_REQUEST, WS::Unknown), WriteStatus::kHttpError);
  EXPECT_EQ(ClassifyWriteResult(SR_E_TIMEOUT, WS::Unknown), WriteStatus::kTimeout);
  EXPECT_EQ(ClassifyWriteResult(WEB_E_INVALID_JSON_STRING, WS::Unknown), WriteStatus::kParseError);
  for (HRESULT hr : {SR_E_CONNECTION_REFUSED, SR_E_CONNECTION_RESET, SR_E_HOST_NOT_FOUND, SR_E_TLS,
                     SR_E_NETWORK, SR_E_PROTOCOL, SR_E_RESPONSE_TOO_LARGE, E_INVALIDARG}) {
    EXPECT_EQ(ClassifyWriteResult(hr, WS::Unknown), WriteStatus::kTransportError)
        << SrHResultToString(hr);
  }
  // Cancelled: no outcome to count.
  EXPECT_FALSE(ClassifyWriteResult(E_ABORT, WS::Unknown).has_value());
}

TEST(ClassifyWriteResultTest, TransportFailuresAreTransportErrorAndTimeout) {
  for (WriteStatus s : kAllWriteStatuses) {
    EXPECT_EQ(IsTransportFailure(s),
              s == WriteStatus::kTransportError || s == WriteStatus::kTimeout);
  }
}

}  // namespace
}  // namespace sessionrig::loadgen
