// Backends: the Backend concept and the backends available in this build.
// modyn::cpu is always there (a CUDA backend is planned, not yet here).
#pragma once

#include "modyn/backend/cpu.hpp"
#include "modyn/core/backend_concepts.hpp"
