#include <catch2/catch.hpp>

#include "shopmesh/core/money.hpp"

using shopmesh::core::Cents;
using shopmesh::core::cents_from_double;
using shopmesh::core::format_cents;
using shopmesh::core::parse_cents;

TEST_CASE("money: decimal text parses to exact cents", "[money]") {
  CHECK(parse_cents("19.99")->value == 1999);
  CHECK(parse_cents("20")->value == 2000);
  CHECK(parse_cents("0.5")->value == 50);
  CHECK(parse_cents("19.990")->value == 1999);
  CHECK(parse_cents("-3.25")->value == -325);
}

TEST_CASE("money: more than two decimals, exponents and junk are rejected", "[money]") {
  CHECK_FALSE(parse_cents("19.999"));
  CHECK_FALSE(parse_cents("1e2"));
  CHECK_FALSE(parse_cents("12."));
  CHECK_FALSE(parse_cents(".5"));
  CHECK_FALSE(parse_cents("abc"));
  CHECK_FALSE(parse_cents(""));
  CHECK_FALSE(parse_cents("99999999999999999999"));
}

TEST_CASE("money: JSON doubles convert only when they carry at most two decimals", "[money]") {
  CHECK(cents_from_double(19.99)->value == 1999);
  CHECK(cents_from_double(0.1 + 0.2)->value == 30);
  CHECK_FALSE(cents_from_double(19.999));
  CHECK_FALSE(cents_from_double(0.001));
}

TEST_CASE("money: formatting always writes two decimals", "[money]") {
  CHECK(format_cents(Cents{1999}) == "19.99");
  CHECK(format_cents(Cents{2000}) == "20.00");
  CHECK(format_cents(Cents{5}) == "0.05");
  CHECK(format_cents(Cents{-5}) == "-0.05");
}
