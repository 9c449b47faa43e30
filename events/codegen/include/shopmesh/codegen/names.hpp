#pragma once
// How schema names become C++ names (documented in contracts/events/README.md).
#include <string>
#include <string_view>

namespace shopmesh::codegen {

/// ORDER_CREATED, 1 -> OrderCreatedV1: the event struct.
std::string struct_name(std::string_view type, int version);
/// ORDER_CREATED, 1 -> order_created_v1: the header and source file stem.
std::string file_stem(std::string_view type, int version);
/// shippingAddress -> ShippingAddress: suffix of a nested struct or enum named after its field.
std::string pascal_case(std::string_view camel);
/// items -> Item, shortItems -> ShortItem, data -> DataItem: suffix of an array's element type.
std::string element_name(std::string_view camel);
/// postalCode -> postal_code; C++ keywords get a trailing underscore (delete -> delete_).
std::string member_name(std::string_view camel);
/// OUT_OF_STOCK -> kOutOfStock.
std::string enumerator_name(std::string_view value);

}  // namespace shopmesh::codegen
