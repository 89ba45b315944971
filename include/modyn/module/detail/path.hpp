// A dot-separated path built in a fixed buffer while a model is traversed,
// so that for_each_* visitors allocate nothing.
#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>

#include "modyn/core/error.hpp"

namespace modyn::detail {

class path_buffer {
 public:
  static constexpr std::size_t capacity = 512;

  std::string_view view() const noexcept { return {buffer_.data(), size_}; }

  // Appends ".segment" (or "segment" at the root) and returns the previous
  // size, to give back to pop().
  std::size_t push(std::string_view segment) {
    const std::size_t previous = size_;
    const std::size_t needed = size_ + (size_ ? 1 : 0) + segment.size();
    if (needed > capacity) {
      throw config_error("modyn: module path longer than " + std::to_string(capacity) +
                         " characters: " + std::string(view()) + "." + std::string(segment));
    }
    if (size_) buffer_[size_++] = '.';
    segment.copy(buffer_.data() + size_, segment.size());
    size_ += segment.size();
    return previous;
  }

  std::size_t push(std::size_t index) {
    std::array<char, 24> digits{};
    const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), index);
    return push(std::string_view(digits.data(), static_cast<std::size_t>(result.ptr - digits.data())));
  }

  void pop(std::size_t previous) noexcept { size_ = previous; }

 private:
  std::array<char, capacity> buffer_{};
  std::size_t size_ = 0;
};

}  // namespace modyn::detail
