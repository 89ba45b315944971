/// @file
/// The exception hierarchy: every error modyn raises derives from modyn::error,
/// and its message names what was expected and what was given.
#pragma once

#include <stdexcept>
#include <string>

namespace modyn {

struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Tensor or field shapes disagree; the message names both shapes.
struct shape_error : error {
  using error::error;
};

/// An index is outside a tensor's extent.
struct index_error : error {
  using error::error;
};

/// A state-dict or path key is missing or unexpected; the message names it.
struct key_error : error {
  using error::error;
};

/// An element type (dtype) is not the one expected, as a state-dict entry of
/// int32 read as float; the message names the key and both dtypes.
struct type_error : error {
  using error::error;
};

/// A file cannot be read or written, or its content is malformed.
struct io_error : error {
  using error::error;
};

/// Options or parameters that make no sense (negative sizes, p outside [0, 1]...).
struct config_error : error {
  using error::error;
};

/// A device (CUDA, cuBLAS) call failed; the message names the call, the
/// error the runtime gave, and the module path where one is known.
struct device_error : error {
  using error::error;
};

}  // namespace modyn
