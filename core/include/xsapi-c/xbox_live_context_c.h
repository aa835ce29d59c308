// xsapi-c/xbox_live_context_c.h: the Xbox Live context handle. The SDK
// creates contexts from a signed-in XUser; on Linux sessionrig creates them
// with SrContextCreate() (sessionrig/sessionrig_c.h) from an xuid and an
// auth-token provider. Handles are reference counted and thread-safe.
#pragma once

#include "xsapi-c/pal.h"

typedef struct XblContext* XblContextHandle;

// Adds a reference to `xboxLiveContextHandle`.
STDAPI XblContextDuplicateHandle(XblContextHandle xboxLiveContextHandle,
                                 XblContextHandle* duplicatedHandle) XBL_NOEXCEPT;

// Drops a reference; the last one frees the context. Calls in flight keep
// their own reference, so closing during a call is safe.
STDAPI_(void) XblContextCloseHandle(XblContextHandle xboxLiveContextHandle) XBL_NOEXCEPT;

// The xuid the context acts for.
STDAPI XblContextGetXboxUserId(XblContextHandle context, uint64_t* xboxUserId) XBL_NOEXCEPT;
