/// @file
/// Backends: the Backend concept and the backends available in this build.
/// modyn::cpu is always there; modyn::cuda (backend/cuda.hpp) in .cu files
/// built against the CUDA component (CMake target modyn::cuda).
#pragma once

#include "modyn/backend/cpu.hpp"
#include "modyn/core/backend_concepts.hpp"
#include "modyn/core/config.hpp"

#if defined(__CUDACC__) && MODYN_WITH_CUDA
#include "modyn/backend/cuda.hpp"
#endif
