/// @file
/// Tensor<T, B>: an owning, contiguous, row-major, 64-byte aligned buffer of
/// rank 0 to 4 on backend B; TensorView<T, B>: the same without ownership.
///
/// Batches are (batch, features); sequences are time-major (time, batch,
/// features), and x[t] is the (batch, features) view of step t.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/core/backend_concepts.hpp"
#include "modyn/core/config.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor_concepts.hpp"

namespace modyn {

namespace detail {

template <class... Index>
constexpr std::size_t checked_offset(const Shape& shape, bool check, Index... index) {
  if (sizeof...(Index) != shape.rank()) {
    throw index_error("modyn::Tensor: " + std::to_string(sizeof...(Index)) +
                      " indices given for a tensor of shape " + shape.to_string());
  }
  const std::array<std::size_t, sizeof...(Index)> idx{static_cast<std::size_t>(index)...};
  std::size_t offset = 0;
  for (std::size_t axis = 0; axis < idx.size(); ++axis) {
    const std::size_t extent = shape.begin()[axis];
    if (check && idx[axis] >= extent) {
      throw index_error("modyn::Tensor: index " + std::to_string(idx[axis]) + " out of range for axis " +
                        std::to_string(axis) + " of extent " + std::to_string(extent) + " (shape " +
                        shape.to_string() + ")");
    }
    offset = offset * extent + idx[axis];
  }
  return offset;
}

// One entry of a nested initializer list: a number, or a braced list of
// entries. Tensor's list constructor takes these, so that {{2.f}, {1.f}} is
// (2, 1), as numpy's [[2.], [1.]], and not the flat [2, 1] that reading each
// {x} as a number would also allow (one constructor per depth made that
// ambiguous). Only used within the full-expression that builds a tensor,
// where the arrays of the braced lists live.
template <class T>
class nested_init {
 public:
  nested_init(T value) : value_(value) {}
  nested_init(std::initializer_list<nested_init> list) : list_(list), is_list_(true) {}

  bool is_list() const noexcept { return is_list_; }
  T value() const noexcept { return value_; }
  const nested_init* begin() const noexcept { return list_.begin(); }
  const nested_init* end() const noexcept { return list_.end(); }
  std::size_t size() const noexcept { return list_.size(); }

 private:
  T value_{};
  std::initializer_list<nested_init> list_{};
  bool is_list_ = false;
};

// The shape of a nested list, its rank the depth of its numbers (read along
// the first entries); throws shape_error on ragged lists and on numbers and
// lists mixed at one depth.
template <class T>
Shape nested_shape(std::initializer_list<nested_init<T>> top) {
  std::array<std::size_t, Shape::max_rank> extents{};
  std::size_t rank = 1;
  extents[0] = top.size();
  for (const nested_init<T>* e = top.size() ? top.begin() : nullptr; e && e->is_list();
       e = e->size() ? e->begin() : nullptr) {
    if (rank == Shape::max_rank) {
      throw shape_error("modyn::Tensor: a nested initializer list deeper than " +
                        std::to_string(Shape::max_rank) + " levels (rank up to " +
                        std::to_string(Shape::max_rank) + " is supported)");
    }
    extents[rank++] = e->size();
  }
  const auto check = [&](const auto& self, const auto& list, std::size_t depth) -> void {
    if (list.size() != extents[depth]) {
      throw shape_error("modyn::Tensor: ragged nested initializer list (lengths " +
                        std::to_string(extents[depth]) + " and " + std::to_string(list.size()) +
                        " at depth " + std::to_string(depth) + ")");
    }
    for (const nested_init<T>& e : list) {
      if (e.is_list() != (depth + 1 < rank)) {
        throw shape_error("modyn::Tensor: ragged nested initializer list (a " +
                          std::string(e.is_list() ? "list" : "number") + " where " +
                          (e.is_list() ? "numbers are" : "lists are") + " at depth " +
                          std::to_string(depth + 1) + ")");
      }
      if (e.is_list()) self(self, e, depth + 1);
    }
  };
  check(check, top, 0);
  return Shape(std::span<const std::size_t>(extents.data(), rank));
}

template <class T, class List>
void nested_flatten(const List& list, std::vector<T>& out) {
  for (const nested_init<T>& e : list) {
    if (e.is_list())
      nested_flatten(e, out);
    else
      out.push_back(e.value());
  }
}

// The depth of std::initializer_list<...std::initializer_list<T>> (0 for
// other types): a list object that a helper function passes on.
template <class List, class T>
inline constexpr std::size_t list_depth_v = 0;
template <class T>
inline constexpr std::size_t list_depth_v<std::initializer_list<T>, T> = 1;
template <class Inner, class T>
inline constexpr std::size_t list_depth_v<std::initializer_list<Inner>, T> =
    list_depth_v<Inner, T> ? list_depth_v<Inner, T> + 1 : 0;

// Shape and elements of such a list object; throws on ragged lists.
template <class T, class List>
void list_shape(const List& list, std::size_t depth, std::array<std::size_t, Shape::max_rank>& extents) {
  if constexpr (!std::is_same_v<List, T>) {
    if (extents[depth] == std::size_t(-1)) {
      extents[depth] = list.size();
    } else if (extents[depth] != list.size()) {
      throw shape_error("modyn::Tensor: ragged nested initializer list (lengths " +
                        std::to_string(extents[depth]) + " and " + std::to_string(list.size()) +
                        " at depth " + std::to_string(depth) + ")");
    }
    for (const auto& inner : list) list_shape<T>(inner, depth + 1, extents);
  }
}
template <class T, class List>
void list_flatten(const List& list, std::vector<T>& out) {
  if constexpr (std::is_same_v<List, T>) {
    out.push_back(list);
  } else {
    for (const auto& inner : list) list_flatten<T>(inner, out);
  }
}

// Sets every element to one value.
template <class T>
struct fill_kernel {
  T value;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& x) const {
    x = Vec(value);
  }
};

// dst = src, elementwise (src may be a row repeated over dst's rows).
struct copy_kernel {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& src, Vec& dst) const {
    dst = src;
  }
};

// Rejects element access on memory the host cannot read.
template <class B>
constexpr void require_host() {
  static_assert(B::host_accessible,
                "modyn::Tensor: element access and printing need a host-accessible backend; copy "
                "the tensor to modyn::cpu first");
}

// Whether the elements of two tensors or views share memory (an empty one
// shares none). Layers check it to read a copy of an input that is (part of)
// their own output buffer; compound assignment, to read a copy of a
// right-hand side that overlaps the left-hand side without being it.
template <class X, class Y>
bool overlaps(const X& a, const Y& b) noexcept {
  if (a.size() == 0 || b.size() == 0) return false;
  const std::less<const void*> before;
  const void* a_begin = a.data();
  const void* a_end = a.data() + a.size();
  const void* b_begin = b.data();
  const void* b_end = b.data() + b.size();
  return before(a_begin, b_end) && before(b_begin, a_end);
}

// Whether two tensors or views are the same elements (same first element,
// same size): an elementwise update of one from the other reads each
// element before writing it, so it needs no copy.
template <class X, class Y>
bool same_elements(const X& a, const Y& b) noexcept {
  return static_cast<const void*>(a.data()) == static_cast<const void*>(b.data()) &&
         a.size() * sizeof(*a.data()) == b.size() * sizeof(*b.data());
}

}  // namespace detail

template <class T, class B>
class Tensor;

/// A non-owning view of a tensor's elements (a step x[t] of a sequence, a
/// reshaped tensor), as std::span is of an array.
/// @tparam T the element type; const T for a read-only view.
/// @tparam B the backend the elements live on.
template <class T, class B = default_backend>
class TensorView {
  static_assert(check_backend<B>());

 public:
  using value_type = T;    ///< The element type (const for a read-only view).
  using backend_type = B;  ///< The backend of the elements.

  constexpr TensorView() = default;  ///< A view of nothing, of shape (0,).
  /// A view of the elements at `data` (B's memory) with this shape.
  constexpr TensorView(T* data, Shape shape) noexcept : data_(data), shape_(shape) {}

  /// A view of mutable elements converts to a view of const elements.
  template <class U>
  requires(std::is_const_v<T>&& std::is_same_v<const U, T>) constexpr TensorView(
      TensorView<U, B> other) noexcept
      : data_(other.data()), shape_(other.shape()) {}

  constexpr TensorView(const TensorView&) noexcept = default;  ///< Views the same elements.
  /// A named view is a handle: v = w makes v view w's elements, as std::span.
  constexpr TensorView& operator=(const TensorView&) & noexcept = default;

  /// Assigning to a temporary view writes its elements, as numpy does:
  /// x[0] = y copies y (of this view's shape, or a trailing part of it
  /// repeated over the leading axes: a row) into step 0 of x; x[0] = 0.f fills
  /// it. A right-hand side that overlaps the view is read as it was before the
  /// assignment (x[0] = x[0][1] repeats the old row), as numpy reads a copy.
  template <TensorLike Y>
  TensorView operator=(const Y& y) && {
    static_assert(!std::is_const_v<T>, "modyn::TensorView: a view of const elements cannot be assigned to");
    static_assert(std::is_same_v<std::remove_const_t<typename Y::value_type>, T>,
                  "modyn::TensorView: the assigned tensor has another element type");
    static_assert(std::is_same_v<typename Y::backend_type, B>,
                  "modyn::TensorView: the assigned tensor is on another backend");
    const Shape& from = y.shape();
    if (from.rank() > shape_.rank() || !std::equal(from.begin(), from.end(), shape_.end() - from.rank())) {
      throw shape_error("modyn::TensorView: cannot assign a tensor of shape " + from.to_string() +
                        " to a view of shape " + shape_.to_string() +
                        " (the shape must be the view's or a trailing part of it)");
    }
    const T* src = y.data();
    if (size() == 0 || y.size() == 0 || (src == data_ && y.size() == size())) return *this;
    if (detail::overlaps(y, *this)) {
      const Tensor<T, B> copy(TensorView<const T, B>(src, from));
      return std::move(*this) = copy;
    }
    if (y.size() == size())
      B::copy(src, data_, size());
    else
      B::map(size(), detail::copy_kernel{}, broadcast_row(src, y.size()), write_only(data_));
    return *this;
  }
  /// Assigning a value to a temporary view fills it: x[0] = 0.f.
  TensorView operator=(const T& value) && {
    static_assert(!std::is_const_v<T>, "modyn::TensorView: a view of const elements cannot be assigned to");
    B::map(size(), detail::fill_kernel<T>{value}, write_only(data_));
    return *this;
  }

  constexpr const Shape& shape() const noexcept { return shape_; }              ///< The shape.
  constexpr std::size_t shape(std::size_t axis) const { return shape_[axis]; }  ///< The extent of an axis.
  constexpr std::size_t rank() const noexcept { return shape_.rank(); }         ///< The number of axes.
  constexpr std::size_t size() const noexcept { return shape_.size(); }         ///< The number of elements.
  constexpr T* data() const noexcept { return data_; }  ///< The first element (B's memory).

  /// The element at (i, j, ...), bounds-checked when MODYN_BOUNDS_CHECK is 1
  /// (host-accessible backends only).
  template <class... Index>
  T& operator()(Index... index) const {
    detail::require_host<B>();
    return data_[detail::checked_offset(shape_, MODYN_BOUNDS_CHECK, index...)];
  }

  /// The element at (i, j, ...), always bounds-checked (index_error).
  template <class... Index>
  T& at(Index... index) const {
    detail::require_host<B>();
    return data_[detail::checked_offset(shape_, true, index...)];
  }

  /// The sub-tensor at index i of the first axis, without copying.
  TensorView operator[](std::size_t i) const {
    const Shape inner = shape_.drop_front();
    if (i >= shape_[0]) {
      throw index_error("modyn::Tensor: index " + std::to_string(i) + " out of range for axis 0 of extent " +
                        std::to_string(shape_[0]) + " (shape " + shape_.to_string() + ")");
    }
    return TensorView(data_ + i * inner.size(), inner);
  }

  /// The same elements seen with another shape of the same size.
  TensorView reshape(Shape shape) const {
    if (shape.size() != size()) {
      throw shape_error("modyn::Tensor::reshape: cannot view a tensor of shape " + shape_.to_string() + " (" +
                        std::to_string(size()) + " elements) as " + shape.to_string() + " (" +
                        std::to_string(shape.size()) + " elements)");
    }
    return TensorView(data_, shape);
  }

  /// The elements as a span, row-major.
  std::span<T> span() const noexcept { return {data_, size()}; }

 private:
  T* data_ = nullptr;
  Shape shape_{0};
};

/// An owning, contiguous, row-major, 64-byte aligned buffer of rank 0 to 4.
/// Copies copy the elements; moves take the buffer.
/// @tparam T the element type, arithmetic (float, double, std::int32_t, ...).
/// @tparam B the backend whose memory holds the elements (modyn::cpu by default).
template <class T, class B = default_backend>
class Tensor {
  static_assert(check_backend<B>());
  static_assert(std::is_arithmetic_v<T>, "modyn::Tensor<T, B>: T must be an arithmetic type such as float");

 public:
  using value_type = T;                            ///< The element type.
  using backend_type = B;                          ///< The backend of the elements.
  using view_type = TensorView<T, B>;              ///< A view of the elements.
  using const_view_type = TensorView<const T, B>;  ///< A read-only view of the elements.

  /// An empty tensor of shape (0,).
  Tensor() = default;

  /// A tensor of the given shape holding `values` (row-major); their number
  /// must match the shape.
  Tensor(Shape shape, std::span<const T> values) : Tensor(allocate_uninitialized(shape)) {
    if (values.size() != shape.size()) {
      throw shape_error("modyn::Tensor: " + std::to_string(values.size()) + " values given for shape " +
                        shape.to_string() + " (" + std::to_string(shape.size()) + " elements)");
    }
    B::copy_from_host(values.data(), data(), values.size());
  }
  /// A tensor of the given shape holding `values` (row-major): Tensor<float>({2, 2}, {1, 2, 3, 4}).
  Tensor(Shape shape, std::initializer_list<T> values)
      : Tensor(shape, std::span<const T>(values.begin(), values.size())) {}

  /// From nested lists, as torch.tensor and numpy.array do: the depth of
  /// the numbers is the rank. Tensor<float>{1, 2} is (2,), {{1, 2}, {3, 4}}
  /// (2, 2), {{2}, {1}} (2, 1), {{1}} (1, 1); Tensor<float>({2, 3}) is the
  /// values 2 and 3, not a shape (zeros({2, 3}) or empty({2, 3}) for that).
  /// A flat list of one number type goes straight through; others through
  /// the nested form.
  template <class U>
  requires std::is_arithmetic_v<U> Tensor(std::initializer_list<U> values)
      : Tensor(allocate_uninitialized(Shape{values.size()})) {
    if constexpr (std::is_same_v<U, T>) {
      B::copy_from_host(values.begin(), data(), values.size());
    } else {
      const std::vector<T> converted(values.begin(), values.end());
      B::copy_from_host(converted.data(), data(), converted.size());
    }
  }
  /// From nested lists of numbers of several types ({{1, 2.5}, {3, 4}}), as above.
  Tensor(std::initializer_list<detail::nested_init<T>> list) : Tensor(from_nested(list)) {}
  /// A nested std::initializer_list object of T (a helper's parameter).
  template <class List>
  requires(detail::list_depth_v<List, T> >= 2 && detail::list_depth_v<List, T> <= Shape::max_rank)
      Tensor(const List& list)
      : Tensor(from_list(list)) {}

  /// A copy of the viewed elements.
  template <class U>
  requires std::is_same_v<std::remove_const_t<U>, T>
  explicit Tensor(TensorView<U, B> view) : Tensor(allocate_uninitialized(view.shape())) {
    B::copy(view.data(), data(), size());
  }

  /// Uninitialised elements: for kernels that write every element.
  static Tensor empty(Shape shape) { return allocate_uninitialized(shape); }
  /// Every element `value`.
  static Tensor full(Shape shape, T value) {
    Tensor t = allocate_uninitialized(shape);
    B::map(t.size(), detail::fill_kernel<T>{value}, write_only(t.data()));
    return t;
  }
  static Tensor zeros(Shape shape) { return full(shape, T(0)); }  ///< Every element 0.
  static Tensor ones(Shape shape) { return full(shape, T(1)); }   ///< Every element 1.

  /// A copy of the elements, in a new buffer.
  Tensor(const Tensor& other) : Tensor(allocate_uninitialized(other.shape_)) {
    B::copy(other.data(), data(), size());
  }
  /// A moved-from tensor is empty, of shape (0,), like a default-constructed one.
  Tensor(Tensor&& other) noexcept
      : shape_(std::exchange(other.shape_, Shape{0})), buffer_(std::move(other.buffer_)) {}
  /// Copies the elements into a new buffer.
  Tensor& operator=(const Tensor& other) {
    if (this != &other) *this = Tensor(other);
    return *this;
  }
  /// Takes other's buffer; other is left empty, of shape (0,).
  Tensor& operator=(Tensor&& other) noexcept {
    shape_ = std::exchange(other.shape_, Shape{0});
    buffer_ = std::move(other.buffer_);
    return *this;
  }
  ~Tensor() = default;

  const Shape& shape() const noexcept { return shape_; }              ///< The shape.
  std::size_t shape(std::size_t axis) const { return shape_[axis]; }  ///< The extent of an axis.
  std::size_t rank() const noexcept { return shape_.rank(); }         ///< The number of axes.
  std::size_t size() const noexcept { return shape_.size(); }         ///< The number of elements.
  /// The first element (B's memory).
  /// @{
  T* data() noexcept { return buffer_.get(); }
  const T* data() const noexcept { return buffer_.get(); }
  /// @}

  /// A view of all the elements (const for a const tensor); tensors convert to their views.
  /// @{
  view_type view() noexcept { return {data(), shape_}; }
  const_view_type view() const noexcept { return {data(), shape_}; }
  operator view_type() noexcept { return view(); }
  operator const_view_type() const noexcept { return view(); }
  /// @}

  /// The element at (i, j, ...), bounds-checked when MODYN_BOUNDS_CHECK is 1
  /// (host-accessible backends only).
  /// @{
  template <class... Index>
  T& operator()(Index... index) {
    return view()(index...);
  }
  template <class... Index>
  const T& operator()(Index... index) const {
    return view()(index...);
  }
  /// @}
  /// The element at (i, j, ...), always bounds-checked (index_error).
  /// @{
  template <class... Index>
  T& at(Index... index) {
    return view().at(index...);
  }
  template <class... Index>
  const T& at(Index... index) const {
    return view().at(index...);
  }
  /// @}

  /// The sub-tensor at index i of the first axis, as a view: x[t] is step t of a sequence.
  /// @{
  view_type operator[](std::size_t i) { return view()[i]; }
  const_view_type operator[](std::size_t i) const { return view()[i]; }
  /// @}

  /// The same elements with another shape of the same size: a copy from an
  /// lvalue, the same buffer from an rvalue.
  /// @{
  Tensor reshape(Shape shape) const& { return Tensor(*this).reshape(shape); }
  Tensor reshape(Shape shape) && {
    view().reshape(shape);  // checks the sizes
    shape_ = shape;
    return std::move(*this);
  }
  /// @}

  /// Gives the tensor this shape, keeping the buffer (and its contents, read
  /// row-major) when the size is unchanged; otherwise a new uninitialised
  /// buffer. Layers use it for their output buffers: no allocation once warm.
  void ensure_shape(Shape shape) {
    if (shape.size() != size()) *this = allocate_uninitialized(shape);
    shape_ = shape;
  }

  /// The single element of a tensor of size 1.
  T item() const {
    if (size() != 1) {
      throw shape_error("modyn::Tensor::item: the tensor has shape " + shape_.to_string() +
                        ", not a single element");
    }
    T value{};
    B::copy_to_host(data(), &value, 1);
    return value;
  }

  /// A host copy of the elements, row-major.
  std::vector<T> to_vector() const {
    std::vector<T> out(size());
    B::copy_to_host(data(), out.data(), size());
    return out;
  }

 private:
  struct deleter {
    std::size_t count = 0;
    void operator()(T* p) const noexcept { B::deallocate(p, count); }
  };

  Tensor(Shape shape, std::unique_ptr<T[], deleter> buffer) noexcept
      : shape_(shape), buffer_(std::move(buffer)) {}

  static Tensor allocate_uninitialized(Shape shape) {
    const std::size_t n = shape.size();
    return Tensor(shape, std::unique_ptr<T[], deleter>(B::template allocate<T>(n), deleter{n}));
  }

  template <class List>
  static Tensor from_list(const List& list) {
    std::array<std::size_t, Shape::max_rank> extents;
    extents.fill(std::size_t(-1));
    detail::list_shape<T>(list, 0, extents);
    std::size_t rank = 0;
    while (rank < extents.size() && extents[rank] != std::size_t(-1)) ++rank;
    const Shape shape(std::span<const std::size_t>(extents.data(), rank));
    std::vector<T> values;
    values.reserve(shape.size());
    detail::list_flatten<T>(list, values);
    return Tensor(shape, std::span<const T>(values));
  }

  static Tensor from_nested(std::initializer_list<detail::nested_init<T>> list) {
    const Shape shape = detail::nested_shape<T>(list);
    std::vector<T> values;
    values.reserve(shape.size());
    detail::nested_flatten<T>(list, values);
    return Tensor(shape, std::span<const T>(values));
  }

  Shape shape_{0};
  std::unique_ptr<T[], deleter> buffer_;
};

/// Tensor{1.f, 2.f} is a Tensor<float>; so are {{2.f}, {1.f}} and deeper
/// lists of one number type.
/// @{
template <class T>
requires std::is_arithmetic_v<T> Tensor(std::initializer_list<T>)
->Tensor<T>;
template <class T>
requires std::is_arithmetic_v<T> Tensor(std::initializer_list<std::initializer_list<T>>)
->Tensor<T>;
template <class T>
requires std::is_arithmetic_v<T> Tensor(
    std::initializer_list<std::initializer_list<std::initializer_list<T>>>)
->Tensor<T>;
template <class T>
requires std::is_arithmetic_v<T> Tensor(
    std::initializer_list<std::initializer_list<std::initializer_list<std::initializer_list<T>>>>)
->Tensor<T>;
/// @}

/// Factories, as numpy and torch spell them: zeros<float>({2, 3}).
/// A new tensor of `shape` filled with 0, 1 or `value`.
/// @{
template <class T, class B = default_backend>
Tensor<T, B> zeros(Shape shape) {
  return Tensor<T, B>::zeros(shape);
}
template <class T, class B = default_backend>
Tensor<T, B> ones(Shape shape) {
  return Tensor<T, B>::ones(shape);
}
template <class T, class B = default_backend>
Tensor<T, B> full(Shape shape, T value) {
  return Tensor<T, B>::full(shape, value);
}
/// @}

/// Exact equality of shapes and elements.
template <TensorLike X, TensorLike Y>
bool operator==(const X& a, const Y& b) {
  detail::require_host<tensor_backend_t<X>>();
  detail::require_host<tensor_backend_t<Y>>();
  return a.shape() == b.shape() && std::equal(a.data(), a.data() + a.size(), b.data());
}

}  // namespace modyn
