// Backends: the Backend concept and the backends available in this build.
// modyn::cpu is always there; modyn::cuda comes with MODYN_WITH_CUDA.
#pragma once

#include "modyn/backend/backend_concepts.hpp"
#include "modyn/backend/cpu.hpp"
#include "modyn/backend/kernel_math.hpp"

namespace modyn {

// The backend modules and tensors use when none is named.
using default_backend = cpu;

}  // namespace modyn
