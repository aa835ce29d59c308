// sessionrig/hresult.h: every HRESULT the sessionrig core can return, in one
// place, with SrHResultToString() naming each.
//
// Values follow the Windows/GDK conventions the SDK uses so that code written
// against the SDK compares against the same constants. Thread-safe: constants
// and a pure function only.
#pragma once

#include <stdint.h>

typedef int32_t HRESULT;

#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)

// Generic results.
#define S_OK ((HRESULT)0)
#define S_FALSE ((HRESULT)1)
#define E_NOTIMPL ((HRESULT)0x80004001L)
#define E_POINTER ((HRESULT)0x80004003L)
#define E_ABORT ((HRESULT)0x80004004L)  // cancelled (XAsyncCancel)
#define E_FAIL ((HRESULT)0x80004005L)
#define E_UNEXPECTED ((HRESULT)0x8000FFFFL)
#define E_PENDING ((HRESULT)0x8000000AL)              // async call still running
#define E_ILLEGAL_METHOD_CALL ((HRESULT)0x8000000EL)  // e.g. Result read twice
#define E_OUTOFMEMORY ((HRESULT)0x8007000EL)
#define E_INVALIDARG ((HRESULT)0x80070057L)  // bad argument or block in flight
#define E_NOT_SUPPORTED ((HRESULT)0x80070032L)

// HTTP failures: 0x80190000 | status for the statuses the SDK names.
#define HTTP_E_STATUS_UNEXPECTED ((HRESULT)0x80190001L)             // any status not listed below
#define HTTP_E_STATUS_AMBIGUOUS ((HRESULT)0x8019012CL)              // 300
#define HTTP_E_STATUS_MOVED ((HRESULT)0x8019012DL)                  // 301
#define HTTP_E_STATUS_REDIRECT ((HRESULT)0x8019012EL)               // 302
#define HTTP_E_STATUS_REDIRECT_METHOD ((HRESULT)0x8019012FL)        // 303
#define HTTP_E_STATUS_NOT_MODIFIED ((HRESULT)0x80190130L)           // 304
#define HTTP_E_STATUS_USE_PROXY ((HRESULT)0x80190131L)              // 305
#define HTTP_E_STATUS_REDIRECT_KEEP_VERB ((HRESULT)0x80190133L)     // 307
#define HTTP_E_STATUS_BAD_REQUEST ((HRESULT)0x80190190L)            // 400
#define HTTP_E_STATUS_DENIED ((HRESULT)0x80190191L)                 // 401
#define HTTP_E_STATUS_PAYMENT_REQ ((HRESULT)0x80190192L)            // 402
#define HTTP_E_STATUS_FORBIDDEN ((HRESULT)0x80190193L)              // 403
#define HTTP_E_STATUS_NOT_FOUND ((HRESULT)0x80190194L)              // 404
#define HTTP_E_STATUS_BAD_METHOD ((HRESULT)0x80190195L)             // 405
#define HTTP_E_STATUS_NONE_ACCEPTABLE ((HRESULT)0x80190196L)        // 406
#define HTTP_E_STATUS_PROXY_AUTH_REQ ((HRESULT)0x80190197L)         // 407
#define HTTP_E_STATUS_REQUEST_TIMEOUT ((HRESULT)0x80190198L)        // 408
#define HTTP_E_STATUS_CONFLICT ((HRESULT)0x80190199L)               // 409
#define HTTP_E_STATUS_GONE ((HRESULT)0x8019019AL)                   // 410
#define HTTP_E_STATUS_LENGTH_REQUIRED ((HRESULT)0x8019019BL)        // 411
#define HTTP_E_STATUS_PRECOND_FAILED ((HRESULT)0x8019019CL)         // 412
#define HTTP_E_STATUS_REQUEST_TOO_LARGE ((HRESULT)0x8019019DL)      // 413
#define HTTP_E_STATUS_URI_TOO_LONG ((HRESULT)0x8019019EL)           // 414
#define HTTP_E_STATUS_UNSUPPORTED_MEDIA ((HRESULT)0x8019019FL)      // 415
#define HTTP_E_STATUS_RANGE_NOT_SATISFIABLE ((HRESULT)0x801901A0L)  // 416
#define HTTP_E_STATUS_EXPECTATION_FAILED ((HRESULT)0x801901A1L)     // 417
#define HTTP_E_STATUS_421 ((HRESULT)0x801901A5L)
#define HTTP_E_STATUS_422 ((HRESULT)0x801901A6L)
#define HTTP_E_STATUS_423 ((HRESULT)0x801901A7L)
#define HTTP_E_STATUS_424 ((HRESULT)0x801901A8L)
#define HTTP_E_STATUS_425 ((HRESULT)0x801901A9L)
#define HTTP_E_STATUS_426 ((HRESULT)0x801901AAL)
#define HTTP_E_STATUS_428 ((HRESULT)0x801901ACL)
#define HTTP_E_STATUS_429 ((HRESULT)0x801901ADL)  // throttled
#define HTTP_E_STATUS_431 ((HRESULT)0x801901AFL)
#define HTTP_E_STATUS_449 ((HRESULT)0x801901C1L)
#define HTTP_E_STATUS_451 ((HRESULT)0x801901C3L)
#define HTTP_E_STATUS_SERVER_ERROR ((HRESULT)0x801901F4L)     // 500
#define HTTP_E_STATUS_NOT_SUPPORTED ((HRESULT)0x801901F5L)    // 501
#define HTTP_E_STATUS_BAD_GATEWAY ((HRESULT)0x801901F6L)      // 502
#define HTTP_E_STATUS_SERVICE_UNAVAIL ((HRESULT)0x801901F7L)  // 503
#define HTTP_E_STATUS_GATEWAY_TIMEOUT ((HRESULT)0x801901F8L)  // 504
#define HTTP_E_STATUS_VERSION_NOT_SUP ((HRESULT)0x801901F9L)  // 505

// Body could not be used: not JSON, wrong Content-Type, wrong shape, over a
// limit (the parser's typed Status says which).
#define WEB_E_INVALID_JSON_STRING ((HRESULT)0x83750007L)

// Transport failures (HRESULT_FROM_WIN32 of the matching Win32/WinINet code,
// as libHttpClient reports them).
#define SR_E_TIMEOUT ((HRESULT)0x800705B4L)             // ERROR_TIMEOUT: per-call timeout
#define SR_E_CONNECTION_REFUSED ((HRESULT)0x8007274DL)  // WSAECONNREFUSED
#define SR_E_CONNECTION_RESET ((HRESULT)0x80072746L)    // WSAECONNRESET: reset or cut mid-response
#define SR_E_HOST_NOT_FOUND ((HRESULT)0x80072AF9L)      // WSAHOST_NOT_FOUND: DNS failure
#define SR_E_TLS ((HRESULT)0x80072F8FL)                 // ERROR_INTERNET_SECURE_FAILURE
#define SR_E_NETWORK ((HRESULT)0x80072EFDL)   // ERROR_INTERNET_CANNOT_CONNECT: other network error
#define SR_E_PROTOCOL ((HRESULT)0x80072F78L)  // ERROR_INTERNET_INVALID_SERVER_RESPONSE: bad framing
#define SR_E_RESPONSE_TOO_LARGE ((HRESULT)0x80070508L)  // response body over the transport's limit
#define SR_E_TOO_MANY_IN_FLIGHT ((HRESULT)0x8007009BL)  // transport admission cap reached

#ifdef __cplusplus
extern "C" {
#endif

// Returns a static, NUL-terminated name for `hr` (e.g. "HTTP_E_STATUS_PRECOND_FAILED"),
// or "HRESULT(0x........)" formatted into a thread-local buffer for unknown values.
// Never returns null.
const char* SrHResultToString(HRESULT hr);

// Maps an HTTP status to its HTTP_E_STATUS_* HRESULT (S_OK for 2xx;
// HTTP_E_STATUS_UNEXPECTED for statuses without a named constant).
HRESULT SrHResultFromHttpStatus(uint32_t http_status);

#ifdef __cplusplus
}
#endif
