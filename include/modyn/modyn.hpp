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
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/core/type_name.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/module_concepts.hpp"
#include "modyn/module/module_print.hpp"
#include "modyn/module/param.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/module/reflection.hpp"
#include "modyn/module/regularizers.hpp"
#include "modyn/module/state.hpp"
#include "modyn/module/state_dict.hpp"
#include "modyn/module/transforms.hpp"
