#include <catch2/catch.hpp>
#include <modyn/modyn.hpp>
TEST_CASE("smoke") { REQUIRE(modyn::zeros<float>({2}).size() == 2); }
