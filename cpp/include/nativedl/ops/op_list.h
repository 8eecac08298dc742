// The elementwise op lists (X-macros): the enum, the kernels, the public functions and the
// Python bindings all expand these, so no table can miss an op.
#pragma once

// Unary ops whose integer inputs are promoted to the default float dtype.
#define ND_UNARY_FLOAT_OPS(_)                                                                \
  _(exp) _(exp2) _(expm1) _(log) _(log1p) _(log2) _(log10) _(sqrt) _(rsqrt) _(sin) _(cos) \
  _(tan) _(asin) _(acos) _(atan) _(sinh) _(cosh) _(tanh) _(asinh) _(acosh) _(atanh) _(erf)  \
  _(erfc) _(sigmoid) _(reciprocal)
// Unary ops that keep integer dtypes.
#define ND_UNARY_ANY_OPS(_) \
  _(neg) _(abs) _(square) _(sign) _(floor) _(ceil) _(round) _(trunc) _(frac) _(relu)
// Binary ops whose output has the inputs' promoted dtype (div: a float dtype).
#define ND_BINARY_ARITH_OPS(_)                                                                 \
  _(add) _(sub) _(mul) _(div) _(div_floor) _(div_trunc) _(remainder) _(fmod) _(pow) _(maximum) \
  _(minimum) _(atan2) _(hypot) _(copysign)
// Binary ops with a bool output.
#define ND_BINARY_BOOL_OPS(_) \
  _(eq) _(ne) _(lt) _(le) _(gt) _(ge) _(logical_and) _(logical_or) _(logical_xor)
