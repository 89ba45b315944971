// Backends: the Backend concept and the backends available in this build.
// modyn::cpu is always there; modyn::cuda comes with MODYN_WITH_CUDA.
#pragma once

#include "modyn/backend/cpu.hpp"
#include "modyn/core/backend_concepts.hpp"
