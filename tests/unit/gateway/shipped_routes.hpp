#pragma once
// The route table the gateway ships with (gateway/routes.json, embedded), parsed once.
#include <string_view>

#include "shopmesh/gateway/routes.hpp"

std::string_view default_routes_json();

inline const shopmesh::gateway::RouteTable& shipped() {
  static const shopmesh::gateway::RouteTable table = shopmesh::gateway::RouteTable::parse(default_routes_json());
  return table;
}
