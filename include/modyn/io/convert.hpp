/// @file
/// Element-type conversion of state-dict entries, for loading a file whose
/// dtypes are not the model's: a float16 checkpoint into a float32 model, a
/// float64 one into float32 when asked.
///
/// @code
///   io::is_lossless(DType::float16, DType::float32);          // true
///   io::convert(entry, DType::float32, Conversion::lossless);  // float16 -> float32
///   io::convert(entry, DType::float32, Conversion::any);       // float64 -> float32, rounded
/// @endcode
///
/// Lossless means every value of the source type is a value of the target
/// type: float16 and bfloat16 to float32 and float64, float32 to float64,
/// integers to wider integers of a range that contains theirs, small
/// integers to the floats that hold them exactly, bool to any number.
/// Conversion::any also narrows: floats round to nearest even (to infinity
/// past the largest finite value, as IEEE casts do); integers, and floats
/// holding whole numbers, go to integers only when the value fits, and to
/// bool only when it is 0 or 1 (else type_error naming the key, the element
/// and the value: nothing is truncated or wraps around silently).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "modyn/core/dtype.hpp"
#include "modyn/core/error.hpp"
#include "modyn/module/state_dict.hpp"

namespace modyn::io {

/// Which element-type conversions a load may make.
enum class Conversion {
  none,      ///< the dtypes must match
  lossless,  ///< convert where no value changes
  any,       ///< also narrow (round floats; integers only where they fit)
};

namespace detail {

constexpr bool is_float_dtype(DType d) {
  return d == DType::float16 || d == DType::bfloat16 || d == DType::float32 || d == DType::float64;
}
constexpr bool is_signed_dtype(DType d) {
  return d == DType::int8 || d == DType::int16 || d == DType::int32 || d == DType::int64;
}
constexpr bool is_unsigned_dtype(DType d) {
  return d == DType::uint8 || d == DType::uint16 || d == DType::uint32 || d == DType::uint64;
}
// Bits of the significand (with the implicit one) of a float dtype.
constexpr int significand_bits(DType d) {
  switch (d) {
    case DType::float16:
      return 11;
    case DType::bfloat16:
      return 8;
    case DType::float32:
      return 24;
    default:
      return 53;
  }
}
// Bits of magnitude of an integer dtype (bool: 1).
constexpr int magnitude_bits(DType d) {
  return d == DType::boolean ? 1 : static_cast<int>(dtype_size(d)) * 8 - (is_signed_dtype(d) ? 1 : 0);
}

// IEEE binary16 <-> binary32, exactly (decoding) and with rounding to
// nearest even (encoding).
inline float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));  // inf, NaN
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline std::uint16_t float_to_half(float f) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const float magnitude = std::fabs(f);
  if (std::isnan(f)) return static_cast<std::uint16_t>(sign | 0x7e00u | ((bits >> 13) & 0x3ffu));
  if (magnitude >= 65520.0f) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past 65504
  if (magnitude < 6.103515625e-05f) {  // subnormal in half: a multiple of 2^-24, rounded to nearest even
    const float scaled = magnitude * 16777216.0f;  // exact: a power of two
    return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(std::nearbyint(scaled)));
  }
  // Normal: drop 13 mantissa bits, rounding to nearest even; a carry into
  // the exponent is the correct result.
  const std::uint32_t m = std::bit_cast<std::uint32_t>(magnitude);
  const std::uint32_t rounded = m + 0x0fffu + ((m >> 13) & 1u);
  return static_cast<std::uint16_t>(sign | ((rounded >> 13) - (112u << 10)));
}

// bfloat16 is the upper half of a binary32.
inline float bfloat16_to_float(std::uint16_t b) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

inline std::uint16_t float_to_bfloat16(float f) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
  if (std::isnan(f)) return static_cast<std::uint16_t>((bits >> 16) | 0x0040u);  // stays a (quiet) NaN
  return static_cast<std::uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

// One element as double or as a 64-bit integer, read from and written to
// raw bytes of a dtype.
template <class T>
T load_as(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <class T>
void store_as(std::byte* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

inline double element_as_double(DType d, const std::byte* p) {
  switch (d) {
    case DType::float16:
      return half_to_float(load_as<std::uint16_t>(p));
    case DType::bfloat16:
      return bfloat16_to_float(load_as<std::uint16_t>(p));
    case DType::float32:
      return load_as<float>(p);
    case DType::float64:
      return load_as<double>(p);
    case DType::int8:
      return load_as<std::int8_t>(p);
    case DType::int16:
      return load_as<std::int16_t>(p);
    case DType::int32:
      return load_as<std::int32_t>(p);
    case DType::int64:
      return static_cast<double>(load_as<std::int64_t>(p));
    case DType::uint8:
      return load_as<std::uint8_t>(p);
    case DType::uint16:
      return load_as<std::uint16_t>(p);
    case DType::uint32:
      return load_as<std::uint32_t>(p);
    case DType::uint64:
      return static_cast<double>(load_as<std::uint64_t>(p));
    case DType::boolean:
      return load_as<std::uint8_t>(p) != 0 ? 1.0 : 0.0;
  }
  return 0.0;
}

// An integer element exactly, as a (negative, magnitude) pair: every
// integer dtype fits.
struct IntegerValue {
  bool negative;
  std::uint64_t magnitude;
};

inline IntegerValue element_as_integer(DType d, const std::byte* p) {
  const auto of_signed = [](std::int64_t v) {
    return IntegerValue{v < 0, v < 0 ? ~static_cast<std::uint64_t>(v) + 1u : static_cast<std::uint64_t>(v)};
  };
  switch (d) {
    case DType::int8:
      return of_signed(load_as<std::int8_t>(p));
    case DType::int16:
      return of_signed(load_as<std::int16_t>(p));
    case DType::int32:
      return of_signed(load_as<std::int32_t>(p));
    case DType::int64:
      return of_signed(load_as<std::int64_t>(p));
    case DType::uint8:
      return {false, load_as<std::uint8_t>(p)};
    case DType::uint16:
      return {false, load_as<std::uint16_t>(p)};
    case DType::uint32:
      return {false, load_as<std::uint32_t>(p)};
    case DType::uint64:
      return {false, load_as<std::uint64_t>(p)};
    default:  // bool
      return {false, load_as<std::uint8_t>(p) != 0 ? 1u : 0u};
  }
}

// The largest magnitude of an integer dtype on the positive and the negative side.
inline std::uint64_t max_positive(DType d) {
  const int bits = magnitude_bits(d);
  return bits >= 64 ? std::numeric_limits<std::uint64_t>::max() : (std::uint64_t{1} << bits) - 1;
}
inline std::uint64_t max_negative(DType d) {
  return is_signed_dtype(d) ? std::uint64_t{1} << magnitude_bits(d) : 0;
}

inline void store_integer(DType d, std::byte* p, IntegerValue v) {
  const std::uint64_t bits = v.negative ? ~v.magnitude + 1u : v.magnitude;  // two's complement
  switch (dtype_size(d)) {
    case 1:
      store_as(p, static_cast<std::uint8_t>(bits));
      break;
    case 2:
      store_as(p, static_cast<std::uint16_t>(bits));
      break;
    case 4:
      store_as(p, static_cast<std::uint32_t>(bits));
      break;
    default:
      store_as(p, bits);
  }
}

inline void store_float(DType d, std::byte* p, double v) {
  switch (d) {
    case DType::float16:
      // Through float: a double within 2^-13 ulps of a float16 tie can round
      // the other way than one direct rounding would (Conversion::any only).
      store_as(p, float_to_half(static_cast<float>(v)));
      break;
    case DType::bfloat16:
      store_as(p, float_to_bfloat16(static_cast<float>(v)));
      break;
    case DType::float32:
      store_as(p, static_cast<float>(v));
      break;
    default:
      store_as(p, v);
  }
}

inline std::string entry_name(const std::string& key) {
  return key.empty() ? std::string("the entry") : "'" + key + "'";
}

}  // namespace detail

/// Whether every value of `from` is a value of `to`.
constexpr bool is_lossless(DType from, DType to) {
  using namespace detail;
  if (from == to) return true;
  if (from == DType::boolean) return to != DType::boolean;
  if (is_float_dtype(from)) {
    if (!is_float_dtype(to)) return false;
    // float16 and bfloat16 hold values the other cannot (range, precision).
    if ((from == DType::float16 && to == DType::bfloat16) ||
        (from == DType::bfloat16 && to == DType::float16))
      return false;
    return significand_bits(to) >= significand_bits(from);
  }
  if (to == DType::boolean) return false;
  if (is_float_dtype(to)) return significand_bits(to) >= magnitude_bits(from);
  if (is_unsigned_dtype(from)) return magnitude_bits(to) >= magnitude_bits(from);
  return is_signed_dtype(to) && magnitude_bits(to) >= magnitude_bits(from);  // signed to signed
}

/// `entry` as elements of `to` under `rule`; type_error naming the entry's key
/// when the rule forbids it or a value does not fit.
inline StateEntry convert(const StateEntry& entry, DType to, Conversion rule) {
  using namespace detail;
  const DType from = entry.dtype();
  if (from == to) return entry;
  const std::string what = entry_name(entry.key()) + " holds " + std::string(to_string(from)) + ", wanted " +
                           std::string(to_string(to));
  if (rule == Conversion::none) throw type_error("modyn::io::convert: " + what + " (conversion not allowed)");
  if (rule == Conversion::lossless && !is_lossless(from, to)) {
    throw type_error("modyn::io::convert: " + what +
                     ": the conversion can change values (pass Conversion::any to " + "round or narrow)");
  }
  const std::size_t n = entry.size(), in_size = dtype_size(from), out_size = dtype_size(to);
  std::vector<std::byte> out(n * out_size);
  const std::byte* src = entry.bytes().data();
  const auto out_of_range = [&](std::size_t i, const std::string& value) {
    return type_error("modyn::io::convert: " + what + ": element " + std::to_string(i) + " (" + value +
                      ") does not fit in " + std::string(to_string(to)));
  };
  for (std::size_t i = 0; i < n; ++i) {
    const std::byte* p = src + i * in_size;
    std::byte* q = out.data() + i * out_size;
    if (is_float_dtype(to)) {
      // Integers of up to 53 bits are exact in double; wider ones round once.
      if (from == DType::int64 || from == DType::uint64) {
        const IntegerValue v = element_as_integer(from, p);
        const auto m = static_cast<double>(v.magnitude);
        store_float(to, q, v.negative ? -m : m);
      } else {
        store_float(to, q, element_as_double(from, p));
      }
    } else if (to == DType::boolean) {
      const double v = element_as_double(from, p);
      if (v != 0.0 && v != 1.0) throw out_of_range(i, std::to_string(v));
      store_as(q, static_cast<std::uint8_t>(v != 0.0));
    } else if (is_float_dtype(from)) {
      const double v = element_as_double(from, p);
      const double r = std::nearbyint(v);
      // 2^64 and -2^63 are exact doubles, so these bounds are exact too.
      const bool fits =
          std::isfinite(v) && r == v &&
          (r >= 0 ? r < 18446744073709551616.0 && static_cast<std::uint64_t>(r) <= max_positive(to)
                  : r >= -9223372036854775808.0 &&
                        static_cast<std::uint64_t>(-(r + 1)) + 1u <= max_negative(to));
      if (!fits) throw out_of_range(i, std::to_string(v));
      const auto magnitude =
          r >= 0 ? static_cast<std::uint64_t>(r) : static_cast<std::uint64_t>(-(r + 1)) + 1u;
      store_integer(to, q, IntegerValue{r < 0, magnitude});
    } else {
      const IntegerValue v = element_as_integer(from, p);
      if (v.magnitude > (v.negative ? max_negative(to) : max_positive(to))) {
        throw out_of_range(i, (v.negative ? "-" : "") + std::to_string(v.magnitude));
      }
      store_integer(to, q, v);
    }
  }
  return StateEntry(to, entry.shape(), out);
}

}  // namespace modyn::io
