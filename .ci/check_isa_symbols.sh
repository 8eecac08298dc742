#!/usr/bin/env bash
# Fails when the scalar and AVX2 kernel objects define a common weak (inline/template) symbol:
# the linker would keep one copy for both, and the scalar path could run AVX2 code.
# See Note [ISA namespaces] in cpp/src/cpu/kernel_api.h.
set -euo pipefail
build=${1:?usage: check_isa_symbols.sh BUILD_DIR}
weak() { find "$build" -path "*nativedl_kernels_$1.dir*" -name '*.o' -print0 | xargs -0 nm --defined-only \
  | awk '$2 ~ /^[WVu]$/ {print $3}' | grep -v '^DW\.ref\.' | sort -u; }
shared=$(comm -12 <(weak scalar) <(weak avx2))
if [ -n "$shared" ]; then
  echo "weak symbols shared by the scalar and avx2 kernel objects:"; echo "$shared" | c++filt | head -20
  exit 1
fi
echo "ISA symbol check: scalar and avx2 kernel objects share no weak symbols"
