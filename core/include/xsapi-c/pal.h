// xsapi-c/pal.h: the platform macros the SDK's C headers use, for Linux.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sessionrig/hresult.h"

#ifndef STDAPI
#define STDAPI extern "C" HRESULT
#define STDAPI_(type) extern "C" type
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#define XBL_NOEXCEPT noexcept
