// The traversal under every reflection feature (detail/traversal.hpp) and the
// path buffer it builds paths in (detail/path.hpp).
#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "models.hpp"

using modyn::detail::path_buffer;

namespace {

// Records every visitor call as "kind path depth".
struct recorder : modyn::detail::visitor_base {
  std::vector<std::string> events;
  std::string skip = "<none>";  // a module path not to descend into

  void add(std::string_view kind, std::string_view path, int depth) {
    events.push_back(std::string(kind) + " " + std::string(path) + " " + std::to_string(depth));
  }
  template <class M>
  bool enter(std::string_view path, M&, int depth) {
    add("enter", path, depth);
    return path != skip;
  }
  template <class M>
  void leave(std::string_view path, M&, int depth) {
    add("leave", path, depth);
  }
  template <class P>
  void param(std::string_view path, P&, int depth) {
    add("param", path, depth);
  }
  template <class S>
  void state(std::string_view path, S&, int depth) {
    add("state", path, depth);
  }
  template <class T>
  void plain(std::string_view name, T&, int depth) {
    add("plain", name, depth);
  }
};

}  // namespace

TEST_CASE("the walk visits fields depth-first in MODYN_FIELDS order", "[traversal]") {
  mt::Net<> net;
  recorder r;
  modyn::detail::walk(net, r);
  CHECK(r.events == std::vector<std::string>{
                        "enter  0",
                        "enter block 1",
                        "enter block.lin 2",
                        "param block.lin.weight 2",
                        "param block.lin.bias 2",
                        "plain features 2",
                        "leave block.lin 2",
                        "param block.gain 1",
                        "state block.h 1",
                        "leave block 1",
                        "param scale 0",
                        "enter head 1",
                        "param head.weight 1",
                        "param head.bias 1",
                        "plain features 1",
                        "leave head 1",
                        "plain steps 0",
                        "leave  0",
                    });

  // A module the visitor does not enter: no fields, no leave.
  recorder skipping;
  skipping.skip = "block";
  const mt::Net<>& const_net = net;
  modyn::detail::walk(const_net, skipping);
  CHECK(skipping.events == std::vector<std::string>{
                               "enter  0",
                               "enter block 1",
                               "param scale 0",
                               "enter head 1",
                               "param head.weight 1",
                               "param head.bias 1",
                               "plain features 1",
                               "leave head 1",
                               "plain steps 0",
                               "leave  0",
                           });
}

TEST_CASE("the walk enters container elements with their index", "[traversal]") {
  mt::Holder<> holder;
  recorder r;
  modyn::detail::walk(holder, r);
  CHECK(r.events == std::vector<std::string>{
                        "enter  0",
                        "enter one 1",
                        "param one.w 1",
                        "state one.s 1",
                        "plain tag 1",
                        "leave one 1",
                        "enter two.0 1",
                        "param two.0.w 1",
                        "state two.0.s 1",
                        "plain tag 1",
                        "leave two.0 1",
                        "enter two.1 1",
                        "param two.1.w 1",
                        "state two.1.s 1",
                        "plain tag 1",
                        "leave two.1 1",
                        "leave  0",
                    });
  CHECK(holder.two[1].w.path() == "two.1.w");
  CHECK(holder.one.s.path() == "one.s");
}

TEST_CASE("path_buffer joins segments with dots and pops back", "[traversal]") {
  path_buffer path;
  CHECK(path.view().empty());
  const auto a = path.push("layers");
  CHECK(a == 0);
  CHECK(std::string(path.view()) == "layers");
  const auto b = path.push(std::size_t(12));
  CHECK(std::string(path.view()) == "layers.12");
  path.push("weight");
  CHECK(std::string(path.view()) == "layers.12.weight");
  path.pop(b);
  CHECK(std::string(path.view()) == "layers");
  path.push(std::size_t(0));
  CHECK(std::string(path.view()) == "layers.0");
  path.pop(a);
  CHECK(path.view().empty());
}

TEST_CASE("path_buffer throws config_error past its capacity", "[traversal]") {
  path_buffer path;
  path.push(std::string(300, 'a'));
  path.push(std::string(path_buffer::capacity - 300 - 1, 'b'));  // exactly full
  CHECK(path.view().size() == path_buffer::capacity);
  path_buffer other;
  other.push(std::string(300, 'a'));
  CHECK_THROWS_AS(other.push(std::string(path_buffer::capacity - 300, 'b')), modyn::config_error);
  CHECK(std::string(other.view()) == std::string(300, 'a'));  // unchanged
  CHECK_THROWS_WITH(other.push(std::string(300, 'c')),
                    Catch::Matchers::StartsWith("modyn: module path longer than 512 characters: aaa"));
}
