// BPTT on the host backends (the cases: tests/train/bptt_cases.hpp, shared
// with the CUDA tests).
#include <tuple>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"

using backends_under_test = std::tuple<modyn::cpu, modyn::serial, modyn::pseudo_device>;

#include "train/bptt_cases.hpp"
