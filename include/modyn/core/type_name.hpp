// Readable type names at compile time, from the compiler's function
// signature (no RTTI): type_name<nn::Dense<float>>() is
// "modyn::nn::Dense<float, modyn::cpu>", short_type_name "Dense".
#pragma once

#include <string_view>

namespace modyn {

template <class T>
constexpr std::string_view type_name() {
#if defined(__clang__) || defined(__GNUC__)
  constexpr std::string_view signature = __PRETTY_FUNCTION__;
  // g++: "... type_name() [with T = X; std::string_view = ...]", clang: "... [T = X]"
  constexpr std::string_view marker = "T = ";
  constexpr std::size_t start = signature.find(marker) + marker.size();
  constexpr std::size_t semicolon = signature.find(';', start);
  constexpr std::size_t stop = semicolon != std::string_view::npos ? semicolon : signature.rfind(']');
  return signature.substr(start, stop - start);
#else
  return "module";
#endif
}

// The unqualified name without template arguments.
template <class T>
constexpr std::string_view short_type_name() {
  constexpr std::string_view full = type_name<T>();
  constexpr std::string_view no_args = full.substr(0, full.find('<'));
  constexpr std::size_t colon = no_args.rfind("::");
  return colon == std::string_view::npos ? no_args : no_args.substr(colon + 2);
}

}  // namespace modyn
