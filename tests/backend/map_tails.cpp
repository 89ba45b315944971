// cpu::map's tails (the last length % width elements of a row, one partial
// vector: masked loads and stores on AVX-512 and AVX2, a stack buffer
// elsewhere) for every element type a vector holds and every argument kind,
// on every tail length 1 .. width - 1, alone and after a full vector, in one
// row and in several: values against a scalar loop, no write past the end of
// an output (sentinels), no access past the end of any array (exact-size heap
// blocks, which AddressSanitizer watches), and padding lanes that repeat the
// row's last element (the contract of backend/detail/map_engine.hpp).
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/core/kernel_args.hpp"

namespace {

using modyn::cpu;

// n elements on the heap with `pad` sentinels on both sides; pad = 0 makes a
// block of exactly n elements, whose ends AddressSanitizer watches.
template <class T>
class Array {
 public:
  static constexpr T sentinel = T(99);

  Array(std::size_t n, std::size_t pad) : n_(n), pad_(pad), storage_(new T[n + 2 * pad]) {
    for (std::size_t i = 0; i < n + 2 * pad; ++i) storage_[i] = sentinel;
  }
  T* data() { return storage_.get() + pad_; }
  const T* cdata() const { return storage_.get() + pad_; }
  T& operator[](std::size_t i) { return storage_[pad_ + i]; }
  T operator[](std::size_t i) const { return storage_[pad_ + i]; }
  std::size_t size() const { return n_; }

  bool guards_intact() const {
    for (std::size_t i = 0; i < pad_; ++i) {
      if (!same(storage_[i], sentinel) || !same(storage_[pad_ + n_ + i], sentinel)) return false;
    }
    return true;
  }

 private:
  static bool same(T a, T b) { return std::memcmp(&a, &b, sizeof(T)) == 0; }
  std::size_t n_, pad_;
  std::unique_ptr<T[]> storage_;
};

// Small values (-8 .. 7, as T): exact in every type, no overflow in a sum of four.
template <class T>
T small(std::size_t i, std::size_t salt) {
  return static_cast<T>(static_cast<int>((i * 37 + salt * 11) % 16) - 8);
}

// Every kind of argument but element_index (its own pass below): two inputs
// (a pointer and strided rows), a broadcast row, an in-place array, a
// write-only output and the emit channel. On vectors it also records what it
// was given (a, s, b, io: width lanes each, the last call's, which is the
// tail of the last row when there is one) to check the padding lanes.
template <class T>
struct all_kinds {
  T* seen;
  template <class Vec, class Mask>
  void operator()(const Vec& a, const Vec& s, const Vec& b, Vec& io, Vec& out, Mask& m) const {
    if constexpr (!std::is_arithmetic_v<Vec>) {
      const Vec* given[] = {&a, &s, &b, &io};
      for (std::size_t k = 0; k < 4; ++k) given[k]->store_unaligned(seen + k * Vec::size);
    }
    io = Vec(a + s - b + io);
    out = Vec(a - s);
    m = a > s;
  }
};

template <class T>
using index_of = std::conditional_t<sizeof(T) == 8, std::int64_t, std::int32_t>;

// rows rows of `length`, arrays with `pad` sentinels (0: exact size).
template <class T>
void check_pass(std::size_t rows, std::size_t length, std::size_t pad) {
  const std::size_t n = rows * length, stride = length + 3;
  INFO("rows = " << rows << ", length = " << length << ", pad = " << pad);
  Array<T> a(n, pad), io(n, pad), out(n, pad), row(length, pad), strided(rows * stride, pad);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = small<T>(i, 1);
    io[i] = small<T>(i, 2);
  }
  for (std::size_t j = 0; j < length; ++j) row[j] = small<T>(j, 3);
  for (std::size_t i = 0; i < rows * stride; ++i) strided[i] = small<T>(i, 4);
  Array<index_of<T>> list(n, pad);
  std::size_t count = 0;
  constexpr std::size_t width = xsimd::batch<T>::size;
  std::vector<T> seen(4 * width);
  cpu::map(n, all_kinds<T>{seen.data()}, a.cdata(), modyn::strided_rows(strided.cdata(), length, stride),
           modyn::broadcast_row(row.cdata(), length), io.data(), modyn::write_only(out.data()),
           modyn::emit_to(list.data(), count, 5));

  std::vector<index_of<T>> expected_list;
  bool values = true;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t r = i / length, j = i % length;
    const T s = strided[r * stride + j];
    values = values && io[i] == static_cast<T>(a[i] + s - row[j] + small<T>(i, 2)) &&
             out[i] == static_cast<T>(a[i] - s);
    if (a[i] > s) expected_list.push_back(static_cast<index_of<T>>(5 + i));
  }
  CHECK(values);
  // The tail's lanes past the row's end repeat its last element.
  if (const std::size_t tail = length % width; tail != 0) {
    const T first[4] = {a[n - tail], strided[(rows - 1) * stride + length - tail], row[length - tail],
                        small<T>(n - tail, 2)};
    const T last[4] = {a[n - 1], strided[(rows - 1) * stride + length - 1], row[length - 1],
                       small<T>(n - 1, 2)};
    bool padded = true;
    for (std::size_t k = 0; k < 4; ++k) {
      padded = padded && seen[k * width] == first[k];
      for (std::size_t lane = tail; lane < width; ++lane)
        padded = padded && seen[k * width + lane] == last[k];
    }
    CHECK(padded);
  }
  REQUIRE(count == expected_list.size());
  bool listed = true;
  for (std::size_t k = 0; k < count; ++k) listed = listed && list[k] == expected_list[k];
  CHECK(listed);
  for (std::size_t k = count; k < n; ++k) listed = listed && list[k] == Array<index_of<T>>::sentinel;
  CHECK(listed);  // nothing past the emitted entries
  CHECK(a.guards_intact());
  CHECK(io.guards_intact());
  CHECK(out.guards_intact());
  CHECK(row.guards_intact());
  CHECK(strided.guards_intact());
  CHECK(list.guards_intact());
}

// element_index over n elements of T's width, written to an index array.
template <class T>
void check_index(std::size_t n, std::size_t pad) {
  using I = modyn::index_type_for<T>;
  INFO("n = " << n << ", pad = " << pad);
  Array<T> a(n, pad);
  Array<I> index(n, pad);
  for (std::size_t i = 0; i < n; ++i) a[i] = small<T>(i, 5);
  cpu::map(
      n, [](const auto&, const auto& i, auto& out) { out = i; }, a.cdata(), modyn::element_index(7),
      modyn::write_only(index.data()));
  bool values = true;
  for (std::size_t i = 0; i < n; ++i) values = values && index[i] == static_cast<I>(7 + i);
  CHECK(values);
  CHECK(index.guards_intact());
}

}  // namespace

// One type of each width and kind, which is what picks a masked load's
// instruction (ps, pd, epi8, epi16, epi32, epi64); signed and unsigned mixed.
// (Their mirror types differ only in the cast of the last element; all ten
// cost this file twice its compile time in CI's sanitizer build.)
TEMPLATE_TEST_CASE("cpu::map: every tail length of every element width and argument kind",
                   "[backend][cpu][map][tails]", float, double, std::int8_t, std::uint16_t, std::int32_t,
                   std::uint64_t) {
  using T = TestType;
  constexpr std::size_t width = xsimd::batch<T>::size;
  for (const std::size_t pad : {std::size_t{5}, std::size_t{0}}) {
    for (std::size_t tail = 1; tail < width; ++tail) {
      for (const std::size_t length : {tail, width + tail}) {  // a tail alone, after a full vector
        check_pass<T>(1, length, pad);
        check_pass<T>(3, length, pad);
        check_index<T>(length, pad);
      }
    }
    check_pass<T>(2, width, pad);  // no tail
  }
}

TEST_CASE("cpu::map: tails are masked where the architecture has masked loads and stores",
          "[backend][cpu][map][tails]") {
  using modyn::detail::masked_tail;
#if defined(__AVX512BW__)
  STATIC_REQUIRE(masked_tail<std::int8_t>::available);
  STATIC_REQUIRE(masked_tail<std::uint16_t>::available);
#endif
#if defined(__AVX2__)
  STATIC_REQUIRE(masked_tail<float>::available);
  STATIC_REQUIRE(masked_tail<double>::available);
  STATIC_REQUIRE(masked_tail<std::int32_t>::available);
  STATIC_REQUIRE(masked_tail<std::uint64_t>::available);
#else
  STATIC_REQUIRE_FALSE(masked_tail<float>::available);  // x86-64 before AVX2, ARM: the stack buffer
#endif
  SUCCEED();
}
