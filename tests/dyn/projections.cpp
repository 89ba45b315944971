// dyn::SparseConn, DenseConn, Projection and AlignPostProj: the events of a
// step against hand computations, on the host and on memory the host cannot
// touch (pseudo_device); per-synapse delays to the step; the dense path
// against the event-driven one; a spike of step t reaching its target at
// step t + 1 + delay in a network; state dicts by path; clear errors.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "modyn/backend/pseudo_device.hpp"
#include "modyn/modyn.hpp"
#include "support/helpers.hpp"

namespace dyn = modyn::dyn;
using Catch::Matchers::Contains;
using modyn::Context;
using modyn::Shape;
using modyn::Tensor;

namespace {

// A presynaptic population whose spikes a test sets: size(), fired() and a
// spike State, as a neuron model has them.
template <class B>
struct FakePopulation {
  explicit FakePopulation(std::size_t n) : n_(n), spike(Shape{n}) {}
  Shape size() const { return Shape{n_}; }
  const dyn::SpikeList<B>& fired() const { return fired_; }
  void set(const std::vector<std::int32_t>& ids, std::size_t flat = 0) {
    const auto channel = fired_.begin_step(flat == 0 ? n_ : flat);
    if (!ids.empty()) B::copy_from_host(ids.data(), channel.list, ids.size());
    *channel.count = ids.size();
    std::vector<float> dense(n_, 0.f);
    for (const auto i : ids) dense[std::size_t(i) % n_] = 1.f;
    *spike = Tensor<float, B>(Shape{n_}, std::span<const float>(dense));
  }
  std::size_t n_;
  modyn::State<Tensor<float, B>> spike;
  dyn::SpikeList<B> fired_;
};

// 3 -> 4: row 0 -> {1, 3}, row 1 -> {}, row 2 -> {0, 1, 1} (two synapses to 1).
dyn::Csr<float> small_csr(std::vector<float> weights = {0.5f, 2.f, 1.f, 3.f, 4.f}) {
  return dyn::Csr<float>::from_csr(4, {0, 2, 2, 5}, {1, 3, 0, 1, 1}, std::move(weights));
}

template <class B>
std::vector<float> host(const Tensor<float, B>& t) {
  std::vector<float> out(t.size());
  if (t.size()) B::copy_to_host(t.data(), out.data(), t.size());
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("SparseConn adds the weights of the spiking rows into their targets", "[dyn][projection]",
                   modyn::cpu, modyn::pseudo_device) {
  using B = TestType;
  const Context c{};
  dyn::SparseConn<float, B> conn(small_csr());
  CHECK(conn.n_pre() == 3);
  CHECK(conn.n_post() == 4);
  CHECK(conn.synapses() == 5);
  FakePopulation<B> pre(3);
  pre.set({0, 2});
  Tensor<float, B> g = Tensor<float, B>::zeros(Shape{4});
  conn.deliver(c, pre.fired().indices(), 3, 0, g);
  // row 0: g1 += 0.5, g3 += 2; row 2: g0 += 1, g1 += 3 + 4.
  CHECK(host(g) == std::vector<float>{1.f, 7.5f, 0.f, 2.f});

  SECTION("one weight for all synapses") {
    dyn::SparseConn<float, B> same(small_csr({0.25f}));
    CHECK(same.homogeneous());
    Tensor<float, B> h = Tensor<float, B>::zeros(Shape{4});
    same.deliver(c, pre.fired().indices(), 3, 0, h);
    CHECK(host(h) == std::vector<float>{0.25f, 0.75f, 0.f, 0.25f});
  }
  SECTION("a subgroup: rows are neurons first_pre .., others are not this connection's") {
    FakePopulation<B> population(10);
    population.set({1, 5, 7, 9});  // rows 0 (5) and 2 (7) with first_pre = 5; 1 and 9 are outside
    Tensor<float, B> h = Tensor<float, B>::zeros(Shape{4});
    conn.deliver(c, population.fired().indices(), 10, 5, h);
    CHECK(host(h) == std::vector<float>{1.f, 7.5f, 0.f, 2.f});
    CHECK_THROWS_WITH(conn.deliver(c, population.fired().indices(), 10, 8, h), Contains("rows 8 .. 11"));
  }
  SECTION("a batched population drives the batch row of the same index") {
    FakePopulation<B> population(3);
    population.set({2, 3}, 6);  // sample 0 neuron 2, sample 1 neuron 0
    Tensor<float, B> h = Tensor<float, B>::zeros(Shape{2, 4});
    conn.deliver(c, population.fired().indices(), 3, 0, h);
    CHECK(host(h) == std::vector<float>{1.f, 7.f, 0.f, 0.f, 0.f, 0.5f, 0.f, 2.f});
  }
  SECTION("a trace of another shape is a shape_error with both shapes") {
    Tensor<float, B> wrong = Tensor<float, B>::zeros(Shape{5});
    CHECK_THROWS_AS(conn.deliver(c, pre.fired().indices(), 3, 0, wrong), modyn::shape_error);
    CHECK_THROWS_WITH(conn.deliver(c, pre.fired().indices(), 3, 0, wrong),
                      Contains("(5,)") && Contains("4 postsynaptic"));
  }
  SECTION("the connectivity comes back as the Csr it was built from") {
    const dyn::Csr<float> back = conn.csr();
    CHECK(back.row_offsets() == small_csr().row_offsets());
    CHECK(back.targets() == small_csr().targets());
    CHECK(back.weights() == small_csr().weights());
  }
}

TEMPLATE_TEST_CASE("SparseConn's per-synapse delays add each weight round(d / dt) steps later",
                   "[dyn][projection]", modyn::cpu, modyn::pseudo_device) {
  using B = TestType;
  // 1 -> 2: the synapse to 0 without delay, the one to 1 after 0.3 ms (3 steps).
  dyn::SparseConn<float, B> conn(dyn::Csr<float>::from_csr(2, {0, 2}, {0, 1}, {1.f, 10.f}),
                                 {.delays = {0.0, 0.3}});
  CHECK(conn.has_delays());
  FakePopulation<B> pre(1);
  Tensor<float, B> g = Tensor<float, B>::zeros(Shape{2});
  std::vector<std::vector<float>> seen;
  for (std::size_t step = 0; step < 6; ++step) {
    const Context c{.t = 0.1 * double(step), .i = step, .dt = 0.1};
    pre.set(step == 1 ? std::vector<std::int32_t>{0} : std::vector<std::int32_t>{});
    conn.deliver(c, pre.fired().indices(), 1, 0, g);  // what arrives in this step: the list set now
    seen.push_back(host(g));
  }
  CHECK(conn.max_delay_steps() == 3);
  // The list delivered at step 1 reaches 0 at once and 1 three steps later.
  CHECK(seen[0] == std::vector<float>{0.f, 0.f});
  CHECK(seen[1] == std::vector<float>{1.f, 0.f});
  CHECK(seen[3] == std::vector<float>{1.f, 0.f});
  CHECK(seen[4] == std::vector<float>{1.f, 10.f});
  CHECK(seen[5] == std::vector<float>{1.f, 10.f});

  SECTION("a delay that is not a whole number of steps names the synapse") {
    dyn::SparseConn<float, B> bad(dyn::Csr<float>::from_csr(2, {0, 2}, {0, 1}, {1.f}),
                                  {.delays = {0.1, 0.15}});
    CHECK_THROWS_WITH(bad.deliver(Context{}, pre.fired().indices(), 1, 0, g),
                      Contains("delays[1]") && Contains("not a whole number of steps"));
  }
  SECTION("negative delays and a wrong count are config_errors") {
    const auto csr = dyn::Csr<float>::from_csr(2, {0, 2}, {0, 1}, {1.f});
    CHECK_THROWS_WITH((dyn::SparseConn<float, B>(csr, {.delays = {0.1}})),
                      Contains("1 delays for 2 synapses"));
    CHECK_THROWS_WITH((dyn::SparseConn<float, B>(csr, {.delays = {0.1, -1.0}})), Contains("delays[1]"));
  }
}

TEST_CASE("DenseConn delivers what SparseConn delivers, batched or not", "[dyn][projection]") {
  modyn::Rng rng(7);
  const auto csr = dyn::fixed_probability<float>(50, 30, 0.2, rng, {.weight = 0.5f});
  dyn::SparseConn<float> sparse(csr);
  dyn::DenseConn<float> dense(csr);
  CHECK(dense.n_pre() == 50);
  CHECK(dense.n_post() == 30);
  FakePopulation<modyn::cpu> pre(60);
  pre.set({3, 11, 12, 40, 55});
  Tensor<float> a = Tensor<float>::zeros(Shape{30}), b = Tensor<float>::zeros(Shape{30});
  sparse.deliver(Context{}, pre.fired().indices(), 60, 5, a);
  dense.deliver(Context{}, pre.spike->view(), 5, b);
  for (std::size_t j = 0; j < 30; ++j) CHECK(b(j) == Approx(a(j)).margin(1e-6));
  CHECK(modyn::sum(a) > 0.f);

  const Tensor<float> spikes({{1.f, 0.f, 1.f}, {0.f, 1.f, 0.f}});
  dyn::DenseConn<float> small(small_csr());
  Tensor<float> g = Tensor<float>::zeros(Shape{2, 4});
  small.deliver(Context{}, spikes.view(), 0, g);
  CHECK(host(g) == std::vector<float>{1.f, 7.5f, 0.f, 2.f, 0.f, 0.f, 0.f, 0.f});
  Tensor<float> wrong = Tensor<float>::zeros(Shape{4});
  CHECK_THROWS_WITH(small.deliver(Context{}, spikes.view(), 0, wrong), Contains("expected (2, 4)"));
}

namespace {

// pre (1 neuron, driven over threshold at step `fire_at` only) -> post (1
// neuron) through a one-to-one projection with `delay` ms; projections
// first, then populations.
struct Chain : modyn::Module<Chain> {
  using Proj = dyn::AlignPostProj<dyn::SparseConn<float>, dyn::Expon<float>, dyn::CUBA<float>>;
  dyn::LIF<float> pre, post;
  Proj proj;
  std::size_t fire_at = 5;
  MODYN_FIELDS(pre, post, proj)

  explicit Chain(double delay)
      : pre(1, {.V_th = 1.f, .tau = 1.f}),
        post(1, {.V_th = 1e9f, .tau = 10.f}),
        proj(dyn::SparseConn<float>(dyn::one_to_one<float>(1, 1.f)), dyn::Expon<float>(1, {.tau = 5.f}),
             dyn::CUBA<float>{}, {.delay = delay}) {}

  const auto& update(const Context& c) {
    proj.update(c, pre);
    pre(c, c.i == fire_at ? 1000.f : 0.f);
    return post(c, proj.input(c));
  }
};

}  // namespace

TEST_CASE("In a network a spike of step t reaches its target at step t + 1 + delay steps",
          "[dyn][projection]") {
  for (const std::size_t delay_steps : {0u, 1u, 3u}) {
    Chain net(0.1 * double(delay_steps));
    modyn::LoopOverTime loop{net, modyn::monitor<"post.V">, modyn::spike_monitor<"pre.spike">, {.dt = 0.1}};
    const auto& [none, v, spikes] = loop.run_for(2.0);
    REQUIRE(spikes.size() == 1);
    CHECK(spikes.steps[0] == 5);
    std::size_t first_moved = 0;
    while (first_moved < 20 && v(first_moved, 0) == 0.f) ++first_moved;
    CHECK(first_moved == 5 + 1 + delay_steps);
  }
}

TEST_CASE("AlignPostProj: Expon's trace jumps by the weight and decays in the neuron's pass",
          "[dyn][projection]") {
  Chain net(0.0);
  const Context c{.i = 5, .dt = 0.1};
  net.update(c);  // pre fires at step 5
  CHECK(net.proj.syn.g.value()(0) == 0.f);
  net.update(Context{.i = 6, .dt = 0.1});  // it arrives: post reads 1, g is left decayed
  CHECK(net.proj.syn.g.value()(0) == Approx(std::exp(-0.1 / 5.0)).epsilon(1e-6));

  SECTION("state dicts and reset_state by path") {
    const modyn::StateDict dict = net.state_dict();
    CHECK(dict.contains("proj.comm.weight"));
    CHECK(dict.contains("proj.syn.g"));
    CHECK(dict.contains("post.V"));
    net.reset_state();
    CHECK(net.proj.syn.g.value()(0) == 0.f);
  }
}

TEST_CASE("AlignPostProj with DualExpon adds the events in the synapse's own update", "[dyn][projection]") {
  using Proj = dyn::AlignPostProj<dyn::SparseConn<float>, dyn::DualExpon<float>, dyn::COBA<float>>;
  Proj proj(dyn::SparseConn<float>(small_csr()), dyn::DualExpon<float>(4), dyn::COBA<float>{0.0});
  dyn::DualExpon<float> reference(4);
  FakePopulation<modyn::cpu> pre(3);
  pre.set({0, 2});
  const Context c{};
  proj.update(c, pre);
  const auto term = proj.input(c);
  const auto& expected = reference(c, Tensor<float>{1.f, 7.5f, 0.f, 2.f});
  for (std::size_t j = 0; j < 4; ++j) CHECK(term.g[j] == Approx(expected(j)));
  pre.set({});
  proj.update(c, pre);
  (void)proj.input(c);
  const auto& next = reference(c, 0.f);
  for (std::size_t j = 0; j < 4; ++j) CHECK(proj.syn.g.value()(j) == Approx(next(j)));
}

TEST_CASE("Several Projections merge into one trace", "[dyn][projection]") {
  dyn::Projection<dyn::SparseConn<float>> a(dyn::SparseConn<float>(small_csr({1.f}))),
      b(dyn::SparseConn<float>(small_csr({10.f})), {.delay = 0.1});
  dyn::Expon<float> shared(4);
  FakePopulation<modyn::cpu> pre(3);
  pre.set({0});
  a.update(Context{}, pre, *shared.g);
  b.update(Context{}, pre, *shared.g);  // held one step
  CHECK(host(*shared.g) == std::vector<float>{0.f, 1.f, 0.f, 1.f});
  pre.set({});
  a.update(Context{}, pre, *shared.g);
  b.update(Context{}, pre, *shared.g);
  CHECK(host(*shared.g) == std::vector<float>{0.f, 11.f, 0.f, 11.f});
  CHECK(b.delay() == 0.1);

  dyn::Projection<dyn::DenseConn<float>> dense(dyn::DenseConn<float>(small_csr()), {.delay = 0.5});
  CHECK_THROWS_WITH(dense.update(Context{}, pre, *shared.g), Contains("takes no delay"));
}

TEST_CASE("Expon decays by one step of its integrator", "[dyn][synapse]") {
  CHECK(dyn::Expon<float>(1, {.tau = 5.f}).decay_factor(0.1) == Approx(std::exp(-0.02)).epsilon(1e-7));
  CHECK(dyn::Expon<float, modyn::cpu, dyn::euler>(1, {.tau = 5.f}).decay_factor(0.1) ==
        Approx(0.98).epsilon(1e-7));
}

#if MODYN_WITH_OPENMP
TEST_CASE("SparseConn on a team of threads adds the same bits as on one", "[dyn][projection][threads]") {
  modyn::Rng rng(11);
  auto csr = dyn::fixed_probability<float>(3000, 2000, 0.05, rng);
  const Tensor<float> w = rng.normal<float>({csr.size()});
  dyn::SparseConn<float> conn(dyn::Csr<float>::from_csr(2000, csr.row_offsets(), csr.targets(),
                                                        std::vector<float>(w.data(), w.data() + w.size())));
  FakePopulation<modyn::cpu> pre(3000);
  std::vector<std::int32_t> ids;
  for (std::int32_t i = 0; i < 3000; i += 2) ids.push_back(i);
  pre.set(ids);
  const modyn::cpu_instance team{.threads = 2, .grain = 100};
  Tensor<float> one = Tensor<float>::zeros(Shape{2000}), two = Tensor<float>::zeros(Shape{2000});
  conn.deliver(Context{}, pre.fired().indices(), 3000, 0, one);
  conn.deliver(Context{.exec = {.cpu = &team}}, pre.fired().indices(), 3000, 0, two);
  CHECK(one == two);
}
#endif
