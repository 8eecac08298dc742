#!/usr/bin/env bash
# Fails when two ISAs' kernel objects (scalar, avx2, avx512) define a common weak (inline/template)
# symbol: the linker would keep one copy for both, and e.g. the scalar path could run AVX2 code.
# See Note [ISA namespaces] in cpp/src/cpu/kernel_api.h.
set -euo pipefail
build=${1:?usage: check_isa_symbols.sh BUILD_DIR}
weak() { find "$build" -path "*nativedl_kernels_$1.dir*" -name '*.o' -print0 | xargs -0 nm --defined-only \
  | awk '$2 ~ /^[WVu]$/ {print $3}' | grep -v '^DW\.ref\.' | sort -u; }
status=0
for pair in "scalar avx2" "scalar avx512" "avx2 avx512"; do
  set -- $pair
  shared=$(comm -12 <(weak "$1") <(weak "$2"))
  if [ -n "$shared" ]; then
    echo "weak symbols shared by the $1 and $2 kernel objects:"; echo "$shared" | c++filt | head -20
    status=1
  fi
done
[ $status -eq 0 ] && echo "ISA symbol check: the scalar, avx2 and avx512 kernel objects share no weak symbols"
exit $status
