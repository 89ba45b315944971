/// @file
/// Readable type names at compile time, from the compiler's function
/// signature (no RTTI): type_name<nn::Dense<float>>() is
/// "modyn::nn::Dense<float, modyn::cpu>", short_type_name "Dense".
#pragma once

#include <string_view>

namespace modyn {

/// The qualified name of T with its template arguments, as the compiler
/// spells it ("modyn::nn::Dense<float, modyn::cpu>"); "module" on a compiler
/// that is neither g++ nor clang.
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

/// The unqualified name without template arguments: the last "::" segment
/// outside angle brackets ("Outer<int>::Inner<float>" -> "Inner").
template <class T>
constexpr std::string_view short_type_name() {
  constexpr std::string_view full = type_name<T>();
  std::size_t depth = 0, start = 0, stop = full.size();
  for (std::size_t i = 0; i < full.size(); ++i) {
    if (full[i] == '<') {
      if (depth++ == 0) stop = i;
    } else if (full[i] == '>') {
      --depth;
    } else if (depth == 0 && full[i] == ':' && i + 1 < full.size() && full[i + 1] == ':') {
      start = i + 2;
      stop = full.size();
      ++i;
    }
  }
  return full.substr(start, (stop < start ? full.size() : stop) - start);
}

}  // namespace modyn
