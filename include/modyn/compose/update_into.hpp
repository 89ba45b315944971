/// @file
/// The output-into protocol: the last module of a LoopOverTime's step
/// writes its output straight into the loop's history row of that step,
/// instead of into a buffer of its own that the loop then copies.
///
/// A module M may provide, beside its update:
///
/// @code
///   m.update_into(x, ctx, out)   what update(x, ctx) does, its output
///                                written into `out` (a TensorView<T, B> of
///                                the shape update's output would have:
///                                a shape_error otherwise) in the pass that
///                                computes it; M's States (its spike State,
///                                say) are updated as by update
///   m.update_into(ctx, out)      the same for a model whose update takes
///                                no input (LoopOverTime::run_for)
/// @endcode
///
/// The values written into `out` must be those update(x, ctx) returns, bit
/// for bit: a loop chooses either form, and the results must not depend on
/// which. LoopOverTime runs the first step of a run through update (the
/// output's shape is not known before it, so that one row is copied), then
/// every other step through update_into, with out = the history row
/// output[t]; a Sequential has update_into when its last entry has, and
/// runs the entries before it as update does. Without update_into (or when
/// the run keeps no output: record_output, training), the loop copies each
/// step's output, as before. dyn::LIF provides it.
///
/// In a run that no monitor observes (Context::states_unobserved), the
/// module may leave its own copy of the output (LIF's spike State and spike
/// list) stale during the run and write it from the last row in its
/// end_run(ctx) hook, which the loop calls when the run ends, normally or by
/// an exception: the step then writes the output once, as a hand-written
/// loop does.
#pragma once

#include "modyn/core/tensor.hpp"
#include "modyn/module/context.hpp"

namespace modyn {

/// Whether m.update_into(x, ctx, out) writes M's output of a step with input
/// X into the view Out (see compose/update_into.hpp).
template <class M, class X, class Out>
concept UpdatesInto = requires(M& m, const X& x, const Context& c, Out out) {
  m.update_into(x, c, out);
};

/// Whether m.update_into(ctx, out) writes the output of a step of M, whose
/// update takes no input, into the view Out (see compose/update_into.hpp).
template <class M, class Out>
concept UpdatesIntoWithoutInput = requires(M& m, const Context& c, Out out) {
  m.update_into(c, out);
};

}  // namespace modyn
