// The nn cases of every backend (tests/nn/backend_cases.hpp) on modyn::cuda:
// models built on the CPU, moved with modyn::to<modyn::cuda>, run on the
// device, compared with the CPU run.
#include <tuple>

#include "modyn/backend/cuda.hpp"

using backends_under_test = std::tuple<modyn::cuda>;

#include "nn/backend_cases.hpp"
