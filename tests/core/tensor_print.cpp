// Printing tensors as numpy's str() prints arrays. Every expected string is
// what numpy 1.24 prints for the same array (float32 for Tensor<float>,
// int32 for Tensor<int>).
#include "modyn/core/tensor_print.hpp"

#include <catch2/catch.hpp>
#include <cstddef>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/core/tensor.hpp"

using modyn::Shape;
using modyn::Tensor;

namespace {

template <class X>
std::string str(const X& x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

// numpy.arange(shape.size()).reshape(shape).
template <class T>
Tensor<T> arange(Shape shape) {
  std::vector<T> values(shape.size());
  std::iota(values.begin(), values.end(), T(0));
  return Tensor<T>(shape, values);
}

}  // namespace

TEST_CASE("whole floats print with a trailing point", "[print]") {
  CHECK(str(Tensor<float>{{1, 2}, {3, 4}}) == "[[1. 2.]\n [3. 4.]]");
  CHECK(str(Tensor<float>{1, 2, 3}) == "[1. 2. 3.]");
  CHECK(str(modyn::zeros<float>({2, 3})) == "[[0. 0. 0.]\n [0. 0. 0.]]");
  CHECK(str(Tensor<float>{-0.0f, 1.0f}) == "[-0.  1.]");
  CHECK(str(Tensor<double>{{1, -2}}) == "[[ 1. -2.]]");
}

TEST_CASE("elements are right-aligned to a common width", "[print]") {
  // Fixed notation: each element has its own fewest digits, and the
  // fractions are padded on the right to the longest one.
  CHECK(str(Tensor<float>{0.5f, 1.25f}) == "[0.5  1.25]");
  CHECK(str(Tensor<float>{-1.5f, 2.0f, 3.0f}) == "[-1.5  2.   3. ]");
  CHECK(str(Tensor<float>{100.5f, 1.0f}) == "[100.5   1. ]");
  CHECK(str(Tensor<float>{{0.5f, 1.0f}, {2.0f, -3.25f}}) == "[[ 0.5   1.  ]\n [ 2.   -3.25]]");
  CHECK(str(Tensor<float>{0.1f, 0.2f}) == "[0.1 0.2]");
  CHECK(str(Tensor<double>{0.1, 0.2}) == "[0.1 0.2]");
  CHECK(str(Tensor<float>{1e7f, 1e5f}) == "[10000000.   100000.]");
}

TEST_CASE("floats print with the fewest digits that identify them, at most 8", "[print]") {
  CHECK(str(Tensor<float>{1.0f / 3.0f, 2.0f / 3.0f}) == "[0.33333334 0.6666667 ]");
  CHECK(str(Tensor<double>{1.0 / 3.0, 2.0 / 3.0}) == "[0.33333333 0.66666667]");
}

TEST_CASE("rows of rank 3 and 4 are separated by blank lines", "[print]") {
  CHECK(str(arange<float>({2, 2, 2})) == "[[[0. 1.]\n  [2. 3.]]\n\n [[4. 5.]\n  [6. 7.]]]");
  CHECK(str(arange<float>({2, 2, 2, 2})) ==
        "[[[[ 0.  1.]\n   [ 2.  3.]]\n\n  [[ 4.  5.]\n   [ 6.  7.]]]\n\n\n"
        " [[[ 8.  9.]\n   [10. 11.]]\n\n  [[12. 13.]\n   [14. 15.]]]]");
}

TEST_CASE("integers print without a point", "[print]") {
  CHECK(str(Tensor<int>{1, 2, 3}) == "[1 2 3]");
  CHECK(str(Tensor<int>{{1, -2, 30}, {4, 5, 6}}) == "[[ 1 -2 30]\n [ 4  5  6]]");
  CHECK(str(Tensor<long>{-100, 5}) == "[-100    5]");
}

TEST_CASE("scientific notation for tiny, huge or widely spread values", "[print]") {
  CHECK(str(Tensor<float>{1e-5f}) == "[1.e-05]");
  CHECK(str(Tensor<float>{1e-5f, 1.0f}) == "[1.e-05 1.e+00]");
  CHECK(str(Tensor<float>{-1e-5f, 1.0f}) == "[-1.e-05  1.e+00]");
  CHECK(str(Tensor<float>{1.5e-5f, 3e-5f}) == "[1.5e-05 3.0e-05]");
  CHECK(str(Tensor<float>{1e8f}) == "[1.e+08]");
  CHECK(str(Tensor<float>{1e8f, 1.0f}) == "[1.e+08 1.e+00]");
  CHECK(str(Tensor<float>{1e7f, 1.0f}) == "[1.e+07 1.e+00]");  // more than three decades apart
  CHECK(str(Tensor<float>{1.0f, 2000.0f}) == "[1.e+00 2.e+03]");
  CHECK(str(Tensor<float>{2.5f, 1e4f}) == "[2.5e+00 1.0e+04]");
  CHECK(str(Tensor<float>{0.0011f, 2.0f}) == "[1.1e-03 2.0e+00]");
  CHECK(str(Tensor<float>{123456.7f, 1.0f}) == "[1.234567e+05 1.000000e+00]");
  // Zeros play no part in the choice.
  CHECK(str(Tensor<float>{0.0f, 1e-3f}) == "[0.    0.001]");
}

TEST_CASE("nan and inf print as numpy prints them", "[print]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(str(Tensor<float>{nan, 1.0f, inf, -inf}) == "[ nan   1.  inf -inf]");
  CHECK(str(Tensor<float>{nan, nan}) == "[nan nan]");
  CHECK(str(Tensor<float>{1e-5f, nan}) == "[1.e-05    nan]");
  CHECK(str(Tensor<float>{-1e-5f, inf, nan}) == "[-1.e-05     inf     nan]");
}

TEST_CASE("more than 1000 elements are summarized with ...", "[print]") {
  // The shown values 0, 1, 2, 998, 999, 1000 are within three decades of each other.
  CHECK(str(arange<float>({1001})) == "[   0.    1.    2. ...  998.  999. 1000.]");
  // Here 1999 / 1 is more than 1000: numpy switches to scientific notation.
  CHECK(str(arange<float>({2000})) == "[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]");
  CHECK(str(arange<int>({2000})) == "[   0    1    2 ... 1997 1998 1999]");

  // 1000 elements are all shown.
  const std::string all = str(arange<int>({1000}));
  CHECK(all.find("...") == std::string::npos);
  CHECK(all.substr(0, 12) == "[  0   1   2");
  CHECK(all.substr(all.size() - 12) == "997 998 999]");
}

TEST_CASE("summarized matrices elide rows and columns", "[print]") {
  CHECK(str(arange<float>({40, 40})) ==
        "[[0.000e+00 1.000e+00 2.000e+00 ... 3.700e+01 3.800e+01 3.900e+01]\n"
        " [4.000e+01 4.100e+01 4.200e+01 ... 7.700e+01 7.800e+01 7.900e+01]\n"
        " [8.000e+01 8.100e+01 8.200e+01 ... 1.170e+02 1.180e+02 1.190e+02]\n"
        " ...\n"
        " [1.480e+03 1.481e+03 1.482e+03 ... 1.517e+03 1.518e+03 1.519e+03]\n"
        " [1.520e+03 1.521e+03 1.522e+03 ... 1.557e+03 1.558e+03 1.559e+03]\n"
        " [1.560e+03 1.561e+03 1.562e+03 ... 1.597e+03 1.598e+03 1.599e+03]]");

  // Rank 3, with the first axis elided between blank lines.
  const std::string s = str(arange<int>({8, 8, 20}));
  const std::string head =
      "[[[   0    1    2 ...   17   18   19]\n"
      "  [  20   21   22 ...   37   38   39]\n"
      "  [  40   41   42 ...   57   58   59]\n"
      "  ...\n"
      "  [ 100  101  102 ...  117  118  119]\n"
      "  [ 120  121  122 ...  137  138  139]\n"
      "  [ 140  141  142 ...  157  158  159]]\n\n"
      " [[ 160  161  162 ...  177  178  179]\n";
  const std::string middle =
      "  [ 460  461  462 ...  477  478  479]]\n\n"
      " ...\n\n"
      " [[ 800  801  802 ...  817  818  819]\n";
  const std::string tail =
      "  [1240 1241 1242 ... 1257 1258 1259]\n"
      "  [1260 1261 1262 ... 1277 1278 1279]]]";
  CHECK(s.substr(0, head.size()) == head);
  CHECK(s.find(middle) != std::string::npos);
  CHECK(s.substr(s.size() - tail.size()) == tail);
  CHECK(s.find("  [ 260  261") != std::string::npos);
  CHECK(s.find("  [ 180  181") != std::string::npos);
  CHECK(s.find(" 480 ") == std::string::npos);  // step 3 is elided
  CHECK(s.find(" 960 ") != std::string::npos);
}

TEST_CASE("a rank-0 tensor prints its value alone", "[print]") {
  CHECK(str(Tensor<float>(Shape{}, {3.5f})) == "3.5");
  CHECK(str(Tensor<double>(Shape{}, {-0.25})) == "-0.25");
  CHECK(str(Tensor<int>(Shape{}, {7})) == "7");
  CHECK(str(Tensor<int>(Shape{}, {-12})) == "-12");
}

TEST_CASE("an empty tensor prints as []", "[print]") {
  CHECK(str(Tensor<float>()) == "[]");
  CHECK(str(modyn::zeros<float>({0})) == "[]");
  CHECK(str(modyn::zeros<float>({2, 0})) == "[]");
  CHECK(str(modyn::zeros<int>({0, 3, 2})) == "[]");
}

TEST_CASE("views print as the tensors they show", "[print]") {
  const auto x = arange<float>({3, 2, 2});
  CHECK(str(x[1]) == "[[4. 5.]\n [6. 7.]]");
  CHECK(str(x[2][1]) == "[10. 11.]");
  CHECK(str(Tensor<float>{{0.5f, 1.5f}}[0][1]) == "1.5");
  CHECK(str(x.view()) == str(x));
}
