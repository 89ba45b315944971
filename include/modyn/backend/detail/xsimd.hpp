// The one place modyn includes xsimd.
//
// (The same guards as core/detail/intrinsics.hpp, around all of xsimd: the
// intrinsics' warnings are also reported where xsimd's own functions inline
// them, so guarding <immintrin.h> alone is not enough here.)
#pragma once

// g++ 12 reports its own AVX-512 intrinsics (`__Y = __Y` in avx512fintrin.h)
// under -Wuninitialized once they are inlined into user code (GCC bug 105593,
// fixed in g++ 13). The diagnostic state is location-based, so silencing it
// around the first inclusion of the intrinsics headers silences only them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <xsimd/xsimd.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
