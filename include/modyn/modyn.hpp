/// @file
/// modyn: composable neural and dynamical modules. This umbrella header
/// includes every component but the optional ones (the CUDA backend comes
/// with it only in .cu files built against modyn::cuda).
#pragma once

#include "modyn/backend/backend.hpp"
#include "modyn/compose/loop_over_time.hpp"
#include "modyn/compose/monitor.hpp"
#include "modyn/compose/named.hpp"
#include "modyn/compose/sequential.hpp"
#include "modyn/core/axes.hpp"
#include "modyn/core/backend_concepts.hpp"
#include "modyn/core/config.hpp"
#include "modyn/core/dtype.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/fixed_string.hpp"
#include "modyn/core/kernel_args.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_ops.hpp"
#include "modyn/core/tensor_print.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/core/type_name.hpp"
#include "modyn/core/version.hpp"
#include "modyn/dyn/connectivity/csr.hpp"
#include "modyn/dyn/connectivity/generators.hpp"
#include "modyn/dyn/input_terms.hpp"
#include "modyn/dyn/inputs/currents.hpp"
#include "modyn/dyn/inputs/poisson.hpp"
#include "modyn/dyn/integrators.hpp"
#include "modyn/dyn/neurons/adex.hpp"
#include "modyn/dyn/neurons/alif.hpp"
#include "modyn/dyn/neurons/hh.hpp"
#include "modyn/dyn/neurons/hh_traub_miles.hpp"
#include "modyn/dyn/neurons/izhikevich.hpp"
#include "modyn/dyn/neurons/leaky_integrator.hpp"
#include "modyn/dyn/neurons/lif.hpp"
#include "modyn/dyn/neurons/plif.hpp"
#include "modyn/dyn/projections/align_post.hpp"
#include "modyn/dyn/projections/dense_conn.hpp"
#include "modyn/dyn/projections/projection.hpp"
#include "modyn/dyn/projections/sparse_conn.hpp"
#include "modyn/dyn/spike_delay.hpp"
#include "modyn/dyn/spike_list.hpp"
#include "modyn/dyn/spike_record.hpp"
#include "modyn/dyn/surrogate.hpp"
#include "modyn/dyn/synapses/alpha.hpp"
#include "modyn/dyn/synapses/dual_expon.hpp"
#include "modyn/dyn/synapses/expon.hpp"
#include "modyn/dyn/synapses/outputs.hpp"
#include "modyn/io/atomic_file.hpp"
#include "modyn/io/convert.hpp"
#include "modyn/io/npy.hpp"
#include "modyn/io/npz.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/differentiable.hpp"
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
#include "modyn/nn/activations.hpp"
#include "modyn/nn/dense.hpp"
#include "modyn/nn/dropout.hpp"
#include "modyn/nn/gru_cell.hpp"
#include "modyn/nn/init.hpp"
#include "modyn/nn/layer_norm.hpp"
#include "modyn/nn/lstm_cell.hpp"
#include "modyn/nn/rnn_cell.hpp"
#include "modyn/train/clip.hpp"
#include "modyn/train/losses.hpp"
#include "modyn/train/optimizers.hpp"
#include "modyn/train/schedules.hpp"

// The namespaces, for the API reference (scripts/docs).

/// @namespace modyn
/// Everything of modyn: tensors, backends, the module system, composition,
/// brain dynamics, layers, training and files.

/// @namespace modyn::dyn
/// Brain dynamics: neuron models, synapses, inputs, projections,
/// connectivity, spike delays and records.

/// @namespace modyn::dyn::inputs
/// Input currents for neuron populations.

/// @namespace modyn::nn
/// ANN layers, activations and recurrent cells.

/// @namespace modyn::train
/// Training: losses, optimizers, gradient clipping and learning-rate
/// schedules.

/// @namespace modyn::init
/// Parameter initializers, as PyTorch's torch.nn.init.

/// @namespace modyn::surrogate
/// Surrogate spike functions: a Heaviside step forward, a smooth derivative
/// backward.

/// @namespace modyn::io
/// Files: safetensors checkpoints (PyTorch's included), NumPy `.npy` and
/// `.npz` arrays, atomic writes.

/// @namespace modyn::math
/// The functions of elementwise kernels, written once for every value type
/// a kernel sees (numbers, SIMD vectors, a user's own).

/// @namespace modyn::reg
/// Param regularizers: terms that module.reg_loss() adds to the loss.

/// @namespace modyn::transform
/// Param transforms: the constrained value a Param exposes from the raw one
/// it stores.
