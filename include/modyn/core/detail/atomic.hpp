// atomic_add(p, v): *p += v from a kernel of a launch (core/kernel_args.hpp).
// On a GPU, work items run concurrently and two may add into one element:
// the add is atomic there (and its order unspecified, so float sums may
// differ in the last bits between runs). Host backends run the items of a
// launch one after another, so it is a plain add there.
#pragma once

#include "modyn/core/config.hpp"

namespace modyn::detail {

template <class T>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void atomic_add(T* p, T v) {
#if defined(__CUDA_ARCH__)
  atomicAdd(p, v);
#else
  *p += v;
#endif
}

}  // namespace modyn::detail
