/// @file
/// DType: the element type of a tensor as a run-time value, for what holds
/// tensors of any element type (state-dict entries, files).
///
/// The values map 1:1 onto the dtypes of safetensors (dtype_name gives its
/// spelling: "F32", "I32", ...), so a state dict is written and read without
/// a table. F16 and BF16 have no C++20 element type: entries of those dtypes
/// come from files and are held as bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace modyn {

/// The element type of a tensor as a value; one per safetensors dtype.
enum class DType : std::uint8_t {
  float32,   ///< float ("F32")
  float64,   ///< double ("F64")
  float16,   ///< IEEE half, held as bytes ("F16")
  bfloat16,  ///< bfloat16, held as bytes ("BF16")
  int8,      ///< std::int8_t ("I8")
  int16,     ///< std::int16_t ("I16")
  int32,     ///< std::int32_t ("I32")
  int64,     ///< std::int64_t ("I64")
  uint8,     ///< std::uint8_t ("U8")
  uint16,    ///< std::uint16_t ("U16")
  uint32,    ///< std::uint32_t ("U32")
  uint64,    ///< std::uint64_t ("U64")
  boolean,   ///< bool, one byte ("BOOL")
};

/// Every DType, in declaration order (for loops over dtypes in tests and readers).
inline constexpr DType all_dtypes[] = {DType::float32, DType::float64, DType::float16, DType::bfloat16,
                                       DType::int8,    DType::int16,   DType::int32,   DType::int64,
                                       DType::uint8,   DType::uint16,  DType::uint32,  DType::uint64,
                                       DType::boolean};

/// The safetensors name: "F32", "F64", "F16", "BF16", "I8", ..., "U64", "BOOL".
constexpr std::string_view dtype_name(DType d) noexcept {
  switch (d) {
    case DType::float32:
      return "F32";
    case DType::float64:
      return "F64";
    case DType::float16:
      return "F16";
    case DType::bfloat16:
      return "BF16";
    case DType::int8:
      return "I8";
    case DType::int16:
      return "I16";
    case DType::int32:
      return "I32";
    case DType::int64:
      return "I64";
    case DType::uint8:
      return "U8";
    case DType::uint16:
      return "U16";
    case DType::uint32:
      return "U32";
    case DType::uint64:
      return "U64";
    case DType::boolean:
      return "BOOL";
  }
  return "?";
}

/// The dtype a safetensors name denotes, if any.
constexpr std::optional<DType> dtype_from_name(std::string_view name) noexcept {
  for (const DType d : all_dtypes) {
    if (dtype_name(d) == name) return d;
  }
  return std::nullopt;
}

/// The readable name, as numpy and PyTorch print it: "float32", "int32", "bool".
constexpr std::string_view to_string(DType d) noexcept {
  switch (d) {
    case DType::float32:
      return "float32";
    case DType::float64:
      return "float64";
    case DType::float16:
      return "float16";
    case DType::bfloat16:
      return "bfloat16";
    case DType::int8:
      return "int8";
    case DType::int16:
      return "int16";
    case DType::int32:
      return "int32";
    case DType::int64:
      return "int64";
    case DType::uint8:
      return "uint8";
    case DType::uint16:
      return "uint16";
    case DType::uint32:
      return "uint32";
    case DType::uint64:
      return "uint64";
    case DType::boolean:
      return "bool";
  }
  return "?";
}

/// Bytes per element.
constexpr std::size_t dtype_size(DType d) noexcept {
  switch (d) {
    case DType::float64:
    case DType::int64:
    case DType::uint64:
      return 8;
    case DType::float32:
    case DType::int32:
    case DType::uint32:
      return 4;
    case DType::float16:
    case DType::bfloat16:
    case DType::int16:
    case DType::uint16:
      return 2;
    case DType::int8:
    case DType::uint8:
    case DType::boolean:
      return 1;
  }
  return 0;
}

namespace detail {

template <class T>
constexpr std::optional<DType> dtype_of_element() noexcept {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, bool>)
    return DType::boolean;
  else if constexpr (std::is_floating_point_v<U> && sizeof(U) == 4)
    return DType::float32;
  else if constexpr (std::is_floating_point_v<U> && sizeof(U) == 8 && std::is_same_v<U, double>)
    return DType::float64;
  else if constexpr (std::is_integral_v<U> && !std::is_same_v<U, char> && !std::is_same_v<U, wchar_t> &&
                     !std::is_same_v<U, char8_t> && !std::is_same_v<U, char16_t> &&
                     !std::is_same_v<U, char32_t>) {
    constexpr bool is_signed = std::is_signed_v<U>;
    if constexpr (sizeof(U) == 1)
      return is_signed ? DType::int8 : DType::uint8;
    else if constexpr (sizeof(U) == 2)
      return is_signed ? DType::int16 : DType::uint16;
    else if constexpr (sizeof(U) == 4)
      return is_signed ? DType::int32 : DType::uint32;
    else if constexpr (sizeof(U) == 8)
      return is_signed ? DType::int64 : DType::uint64;
    else
      return std::nullopt;
  } else {
    return std::nullopt;
  }
}

}  // namespace detail

/// Whether T is an element type with a DType: bool, float, double, and the
/// signed and unsigned integers of 8 to 64 bits (not char, long double).
template <class T>
concept HasDType = detail::dtype_of_element<T>()
.has_value();

/// The DType of element type T: dtype_v<float> == DType::float32.
template <HasDType T>
inline constexpr DType dtype_v = *detail::dtype_of_element<T>();

}  // namespace modyn
