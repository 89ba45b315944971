// The one place modyn includes the x86 intrinsics headers directly.
//
// g++ 12 reports its own AVX-512 intrinsics (`__Y = __Y` in avx512fintrin.h)
// under -Wuninitialized once they are inlined into user code (GCC bug 105593,
// fixed in g++ 13). The diagnostic state is location-based, so silencing it
// around the first inclusion of the intrinsics headers silences only them.
// (backend/detail/xsimd.hpp, which includes them through xsimd, can include
// this header first instead of repeating the pragmas.)
#pragma once

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif
