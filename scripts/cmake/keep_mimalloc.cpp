// Compiled into every executable that takes mimalloc (shopmesh_use_mimalloc): one call into it, so
// that the linker keeps libmimalloc, which replaces malloc and free, when --as-needed drops the
// libraries nothing calls.
#include <mimalloc.h>

[[maybe_unused]] static const int kMimallocVersion = mi_version();
