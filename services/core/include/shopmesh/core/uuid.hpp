#pragma once
// RFC 9562 UUIDs: v7 (time-ordered) for new ids, and a validator for ids received from clients.
#include <string>
#include <string_view>

namespace shopmesh::core {

/// A new UUIDv7 in canonical lowercase 8-4-4-4-12 form.
std::string uuid_v7();
/// True when `text` is a canonical UUID (any version), case-insensitive.
bool is_uuid(std::string_view text);

}  // namespace shopmesh::core
