/// @file
/// fixed_string: a string usable as a template argument (named<"l1">,
/// monitor<"l1.h">), with static storage for its characters.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

namespace modyn {

/// A string literal as a structural type, usable as a template argument.
/// @tparam N the literal's size, its terminating '\0' included.
template <std::size_t N>
struct fixed_string {
  std::array<char, N> chars{};  ///< The characters and the terminating '\0'.

  /// From a string literal (implicit, so that named<"l1"> reads as written).
  constexpr fixed_string(const char (&text)[N]) {
    std::copy_n(text, N, chars.begin());
  }  // NOLINT: implicit by design
  /// The characters as nvcc's front end spells a template argument in the
  /// host code it generates: fixed_string<3>{{{'l', '1', '\0'}}}.
  constexpr explicit fixed_string(const std::array<char, N>& characters) : chars(characters) {}

  /// The characters without the '\0'.
  /// @{
  constexpr std::string_view view() const { return {chars.data(), N - 1}; }
  constexpr operator std::string_view() const { return view(); }
  /// @}
};

namespace detail {

constexpr std::size_t decimal_digits(std::size_t n) { return n < 10 ? 1 : 1 + decimal_digits(n / 10); }

template <std::size_t I>
constexpr auto index_chars() {
  std::array<char, decimal_digits(I)> out{};
  std::size_t n = I;
  for (std::size_t k = out.size(); k-- > 0; n /= 10) out[k] = char('0' + n % 10);
  return out;
}

template <std::size_t I>
inline constexpr auto index_name_storage = index_chars<I>();

}  // namespace detail

/// "0", "1", ...: the path segment of an unnamed entry, with static storage.
template <std::size_t I>
inline constexpr std::string_view index_name{detail::index_name_storage<I>.data(),
                                             detail::index_name_storage<I>.size()};

}  // namespace modyn
