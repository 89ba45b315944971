// The one place modyn includes xsimd. The intrinsics headers come first,
// through core/detail/intrinsics.hpp, which holds g++ 12's warning guards.
#pragma once

#include "modyn/core/detail/intrinsics.hpp"

#include <xsimd/xsimd.hpp>
