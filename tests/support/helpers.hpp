// Helpers shared by the test folders.
#pragma once

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace modyn_test {

// The message of the exception E that f throws; fails the test if none.
template <class E, class F>
std::string message_of(F&& f) {
  try {
    std::invoke(std::forward<F>(f));
  } catch (const E& e) {
    return e.what();
  }
  FAIL("no exception was thrown");
  return {};
}

// The first elements of a list of (path, something) pairs.
template <class Pairs>
std::vector<std::string> paths_of(const Pairs& pairs) {
  std::vector<std::string> out;
  for (const auto& p : pairs) out.push_back(p.first);
  return out;
}

}  // namespace modyn_test
