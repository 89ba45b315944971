// dyn::Csr and the connectivity generators: structure (rows sorted,
// distinct targets, no self-connections when asked), statistics against
// the binomial (means and variances of the degrees, not only sizes),
// reproducibility from the seed, and the validation of user arrays.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "modyn/core/error.hpp"
#include "modyn/core/random.hpp"
#include "modyn/dyn/connectivity/csr.hpp"
#include "modyn/dyn/connectivity/generators.hpp"
#include "support/helpers.hpp"

namespace dyn = modyn::dyn;
using Catch::Matchers::Contains;
using modyn::Rng;

namespace {

struct Moments {
  double mean = 0, variance = 0;
};

Moments moments(const std::vector<std::size_t>& xs) {
  Moments m;
  for (const std::size_t x : xs) m.mean += double(x);
  m.mean /= double(xs.size());
  for (const std::size_t x : xs) m.variance += (double(x) - m.mean) * (double(x) - m.mean);
  m.variance /= double(xs.size() - 1);
  return m;
}

template <class T>
std::vector<std::size_t> out_degrees(const dyn::Csr<T>& csr) {
  std::vector<std::size_t> out(csr.n_pre());
  for (std::size_t i = 0; i < csr.n_pre(); ++i) out[i] = csr.out_degree(i);
  return out;
}

// Every row's targets strictly increasing (distinct) and in range; no i -> i
// unless allowed. Returns the number of i -> i synapses.
template <class T>
std::size_t check_rows(const dyn::Csr<T>& csr) {
  std::size_t self = 0;
  for (std::size_t i = 0; i < csr.n_pre(); ++i) {
    const auto row = csr.targets(i);
    bool ok = true;
    for (std::size_t k = 0; k < row.size(); ++k) {
      ok = ok && row[k] >= 0 && std::size_t(row[k]) < csr.n_post() && (k == 0 || row[k - 1] < row[k]);
      self += std::size_t(row[k]) == i ? 1 : 0;
    }
    if (!ok) {
      INFO("row " << i << " is out of range, unsorted or has a repeated target");
      REQUIRE(ok);
    }
  }
  return self;
}

// |got - want| within z standard errors.
void require_near(double got, double want, double standard_error, double z, const std::string& what) {
  INFO(what << ": " << got << ", expected " << want << " +- " << z * standard_error);
  REQUIRE(std::fabs(got - want) <= z * standard_error);
}

}  // namespace

TEST_CASE("fixed_probability: binomial degrees, sorted distinct targets, no self-connections when asked",
          "[dyn][connectivity]") {
  constexpr std::size_t n = 2000;
  constexpr double p = 0.05;
  const auto csr = dyn::fixed_probability(n, n, p, Rng(1), {.self_connections = false});
  CHECK(check_rows(csr) == 0);
  CHECK(csr.n_pre() == n);
  CHECK(csr.n_post() == n);

  // Out-degrees: binomial(n - 1, p), independent rows.
  const double trials = double(n - 1), mean = trials * p, variance = trials * p * (1 - p);
  const Moments out = moments(out_degrees(csr));
  require_near(out.mean, mean, std::sqrt(variance / n), 5, "mean out-degree");
  // The sample variance of n normal-like draws has a relative sd of sqrt(2 / (n - 1)).
  require_near(out.variance, variance, variance * std::sqrt(2.0 / (n - 1)), 5, "out-degree variance");
  // In-degrees: also binomial(n - 1, p) (columns are sums of independent pairs).
  const Moments in = moments(csr.in_degrees());
  require_near(in.mean, mean, std::sqrt(variance / n), 5, "mean in-degree");
  require_near(in.variance, variance, variance * std::sqrt(2.0 / (n - 1)), 5, "in-degree variance");
  // The total: binomial(n (n - 1), p).
  require_near(double(csr.size()), double(n) * trials * p, std::sqrt(double(n) * trials * p * (1 - p)), 5,
               "synapses");
}

TEST_CASE("fixed_probability: with self-connections about n p of them, and p = 0 and p = 1",
          "[dyn][connectivity]") {
  constexpr std::size_t n = 4000;
  const auto csr = dyn::fixed_probability(n, n, 0.02, Rng(2));
  const double self = double(check_rows(csr));
  require_near(self, n * 0.02, std::sqrt(n * 0.02 * 0.98), 5, "i -> i synapses");

  CHECK(dyn::fixed_probability(100, 50, 0.0, Rng(3)).size() == 0);
  const auto full = dyn::fixed_probability(30, 30, 1.0, Rng(3), {.self_connections = false});
  CHECK(full.size() == 30 * 29);
  CHECK(check_rows(full) == 0);
  CHECK(dyn::fixed_probability(7, 5, 1.0, Rng(3)).size() == 35);  // two populations: i -> i is a real pair
}

TEST_CASE("fixed_probability: different populations and tiny probabilities", "[dyn][connectivity]") {
  // 3000 -> 500 at p = 0.2: out-degree binomial(500, 0.2), in-degree binomial(3000, 0.2).
  const auto csr = dyn::fixed_probability(3000, 500, 0.2, Rng(4), {.self_connections = false});
  check_rows(csr);
  const Moments out = moments(out_degrees(csr)), in = moments(csr.in_degrees());
  require_near(out.mean, 100, std::sqrt(80.0 / 3000), 5, "mean out-degree");
  require_near(in.mean, 600, std::sqrt(480.0 / 500), 5, "mean in-degree");
  require_near(in.variance, 480, 480 * std::sqrt(2.0 / 499), 5, "in-degree variance");
  // p = 1e-7 over 10^6 pairs: a handful at most, and no overflow of the gaps.
  CHECK(dyn::fixed_probability(1000, 1000, 1e-7, Rng(5)).size() < 5);
}

TEST_CASE("generators: the same seed gives the same network, another seed another", "[dyn][connectivity]") {
  const auto a = dyn::fixed_probability(500, 500, 0.1, Rng(7));
  const auto b = dyn::fixed_probability(500, 500, 0.1, Rng(7));
  const auto c = dyn::fixed_probability(500, 500, 0.1, Rng(8));
  CHECK(a.row_offsets() == b.row_offsets());
  CHECK(a.targets() == b.targets());
  CHECK(a.targets() != c.targets());
  // A row depends only on its own stream: the first 100 rows of a larger
  // network are those of a smaller one (rows are built independently, in any
  // order or on any thread).
  const auto small = dyn::fixed_out_degree(100, 500, 20, Rng(9));
  const auto large = dyn::fixed_out_degree(300, 500, 20, Rng(9));
  for (std::size_t i = 0; i < 100; ++i) {
    const auto x = small.targets(i), y = large.targets(i);
    REQUIRE(std::equal(x.begin(), x.end(), y.begin(), y.end()));
  }
}

TEST_CASE("fixed_out_degree: exactly k distinct targets per source, uniform in-degrees",
          "[dyn][connectivity]") {
  constexpr std::size_t n = 4000, k = 80;
  const auto csr = dyn::fixed_out_degree(n, n, k, Rng(10), {.self_connections = false, .weight = 0.5f});
  CHECK(check_rows(csr) == 0);
  const auto out = out_degrees(csr);
  CHECK(std::all_of(out.begin(), out.end(), [&](std::size_t d) { return d == k; }));
  CHECK(csr.size() == n * k);
  CHECK(csr.homogeneous());
  CHECK(csr.weight() == 0.5f);
  // In-degree of a target: each of the n - 1 other sources picks it with
  // probability k / (n - 1), independently: binomial(n - 1, k / (n - 1)).
  const double q = double(k) / double(n - 1), variance = double(n - 1) * q * (1 - q);
  const Moments in = moments(csr.in_degrees());
  CHECK(in.mean == Approx(double(k)));  // exact: n k synapses over n targets
  require_near(in.variance, variance, variance * std::sqrt(2.0 / (n - 1)), 5, "in-degree variance");

  // Dense rows (k > n / 4) take the selection-sampling path: still exactly k.
  const auto dense = dyn::fixed_out_degree(50, 100, 70, Rng(11));
  check_rows(dense);
  const auto dense_out = out_degrees(dense);
  CHECK(std::all_of(dense_out.begin(), dense_out.end(), [](std::size_t d) { return d == 70; }));
  const Moments dense_in = moments(dense.in_degrees());  // binomial(50, 0.7)
  require_near(dense_in.mean, 35, std::sqrt(10.5 / 100), 5, "dense mean in-degree");
}

TEST_CASE("fixed_in_degree: exactly k distinct sources per target, binomial out-degrees",
          "[dyn][connectivity]") {
  constexpr std::size_t n = 3000, k = 50;
  const auto csr = dyn::fixed_in_degree(n, n, k, Rng(12), {.self_connections = false});
  CHECK(check_rows(csr) == 0);
  const auto in = csr.in_degrees();
  CHECK(std::all_of(in.begin(), in.end(), [](std::size_t d) { return d == k; }));
  const double q = double(k) / double(n - 1), variance = double(n - 1) * q * (1 - q);
  const Moments out = moments(out_degrees(csr));
  CHECK(out.mean == Approx(double(k)));
  require_near(out.variance, variance, variance * std::sqrt(2.0 / (n - 1)), 5, "out-degree variance");
}

TEST_CASE("all_to_all and one_to_one", "[dyn][connectivity]") {
  const auto all = dyn::all_to_all(4, 6);
  CHECK(all.size() == 24);
  CHECK(std::vector<std::int32_t>(all.targets(2).begin(), all.targets(2).end()) ==
        std::vector<std::int32_t>{0, 1, 2, 3, 4, 5});
  const auto no_self = dyn::all_to_all(5, 5, {.self_connections = false});
  CHECK(no_self.size() == 20);
  CHECK(check_rows(no_self) == 0);
  const auto one = dyn::one_to_one(5, 2.0f);
  CHECK(one.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    REQUIRE(one.out_degree(i) == 1);
    REQUIRE(one.targets(i)[0] == std::int32_t(i));
  }
  CHECK(one.weight_of(3) == 2.0f);
}

TEST_CASE("generators: impossible requests are config_errors", "[dyn][connectivity][errors]") {
  CHECK_THROWS_AS(dyn::fixed_probability(10, 10, 1.5, Rng(1)), modyn::config_error);
  CHECK_THROWS_AS(dyn::fixed_probability(10, 10, -0.1, Rng(1)), modyn::config_error);
  CHECK_THAT(modyn_test::message_of<modyn::config_error>(
                 [] { dyn::fixed_out_degree(10, 10, 10, Rng(1), {.self_connections = false}); }),
             Contains("k = 10") && Contains("only 9 candidates"));
  CHECK_THROWS_AS(dyn::fixed_in_degree(5, 10, 6, Rng(1)), modyn::config_error);
}

TEST_CASE("Csr::from_csr validates the arrays, naming the array and the position",
          "[dyn][connectivity][errors]") {
  using Csr = dyn::Csr<float>;
  const auto good = Csr::from_csr(4, {0, 2, 2, 5}, {1, 3, 0, 1, 3}, {0.5f, 1, 2, 3, 4});
  CHECK(good.n_pre() == 3);
  CHECK(good.size() == 5);
  CHECK(good.out_degree(1) == 0);
  CHECK(good.weight_of(3) == 3.0f);
  CHECK(Csr::from_csr(4, {0, 1}, {2}, {7.0f}).weight() == 7.0f);  // one weight for all

  const auto message = [](auto make) { return modyn_test::message_of<modyn::config_error>(make); };
  CHECK_THAT(message([] { Csr::from_csr(4, {1, 2}, {0, 1}); }), Contains("row_offsets[0] = 1"));
  CHECK_THAT(message([] {
               Csr::from_csr(4, {0, 2, 1, 3}, {0, 1, 2});
             }),
             Contains("row_offsets") && Contains("position 2"));
  CHECK_THAT(message([] {
               Csr::from_csr(4, {0, 2, 4}, {0, 1, 2});
             }),
             Contains("ragged") && Contains("targets has 3"));
  CHECK_THAT(message([] {
               Csr::from_csr(4, {0, 2, 3}, {0, 1, 4});
             }),
             Contains("targets[2] = 4") && Contains("[0, 4)"));
  CHECK_THAT(message([] {
               Csr::from_csr(4, {0, 3}, {2, 1, 3});
             }),
             Contains("row 0") && Contains("not sorted at position 1"));
  CHECK_THAT(message([] {
               Csr::from_csr(4, {0, 2}, {1, 2}, {1.0f, 2.0f, 3.0f});
             }),
             Contains("3 weights for 2 synapses"));
  CHECK_THROWS_AS(Csr::from_csr(4, {}, {}), modyn::config_error);
}

TEST_CASE("Csr::from_coo sorts synapses into rows, weights following them", "[dyn][connectivity]") {
  using Csr = dyn::Csr<float>;
  const std::vector<std::int32_t> pre{2, 0, 2, 1, 0, 2}, post{3, 1, 0, 2, 0, 1};
  const auto csr = Csr::from_coo(3, 4, pre, post, {23, 1, 20, 12, 0, 21});
  CHECK(csr.row_offsets() == std::vector<std::int64_t>{0, 2, 3, 6});
  CHECK(csr.targets() == std::vector<std::int32_t>{0, 1, 2, 0, 1, 3});
  CHECK(csr.weights() == std::vector<float>{0, 1, 12, 20, 21, 23});  // weight = 10 pre + post, as given

  // A generator's network through COO and back: the same rows.
  const auto net = dyn::fixed_probability(200, 300, 0.05, Rng(13));
  std::vector<std::int32_t> p, q;
  for (std::size_t i = 0; i < net.n_pre(); ++i) {
    for (const std::int32_t j : net.targets(i)) {
      p.push_back(std::int32_t(i));
      q.push_back(j);
    }
  }
  std::reverse(p.begin(), p.end());
  std::reverse(q.begin(), q.end());
  const auto back = Csr::from_coo(200, 300, p, q);
  CHECK(back.row_offsets() == net.row_offsets());
  CHECK(back.targets() == net.targets());

  const auto message = [](auto make) { return modyn_test::message_of<modyn::config_error>(make); };
  const std::vector<std::int32_t> bad_pre{0, 5}, two{0, 1}, one{0};
  CHECK_THAT(message([&] { Csr::from_coo(3, 4, bad_pre, two); }), Contains("pre[1] = 5"));
  CHECK_THAT(message([&] { Csr::from_coo(3, 1, two, two); }), Contains("post[1] = 1"));
  CHECK_THAT(message([&] { Csr::from_coo(3, 4, two, one); }), Contains("pre has 2 entries but post has 1"));
}
