# Script mode: writes OUT defining `std::string_view SYMBOL()` returning FILE's contents.
file(READ ${FILE} hex HEX)
string(LENGTH "${hex}" hex_len)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE ${OUT} "// Generated from ${FILE}; do not edit.\n#include <string_view>\nnamespace {\nconstexpr char kData[] = {${bytes} 0};\n}\nstd::string_view ${SYMBOL}() { return {kData, sizeof(kData) - 1}; }\n")
