# cmake -DINPUT=<file> -DOUTPUT=<header> -DSYMBOL=<name> -P embed_bytes.cmake
# Writes a header defining `inline constexpr unsigned char <SYMBOL>[]` and `<SYMBOL>Size` with
# the file's bytes.
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR size "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUTPUT} "// Generated from ${INPUT} by embed_bytes.cmake.\n#pragma once\n#include <cstddef>\n"
     "inline constexpr unsigned char ${SYMBOL}[] = {\n${bytes}};\n"
     "inline constexpr size_t ${SYMBOL}Size = ${size};\n")
