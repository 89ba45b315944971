// modyn: composable neural and dynamical modules. This umbrella header
// includes every component but the optional ones (CUDA).
#pragma once

#include "modyn/backend/backend.hpp"
#include "modyn/core/config.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_ops.hpp"
#include "modyn/core/tensor_print.hpp"
