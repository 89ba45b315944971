// The optimizer cases of every backend (tests/train/optimizer_cases.hpp) on
// modyn::cuda: SGD, Adam, AdamW and clip_grad_norm over a model on the
// device, compared with the CPU run, and device checkpoints resumed on the CPU;
// then BPTT through LoopOverTime on the device against the CPU's gradients
// (tests/train/bptt_cases.hpp).
#include <tuple>

#include "modyn/backend/cuda.hpp"

using backends_under_test = std::tuple<modyn::cuda>;

#include "train/bptt_cases.hpp"
#include "train/optimizer_cases.hpp"
