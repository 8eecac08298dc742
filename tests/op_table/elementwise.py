"""Elementwise ops: unary, binary (broadcasting, integer dtypes, type promotion), bool-output
ops, where/clamp/lerp/addcmul/addcdiv, rounding divisions and IEEE special values."""
import math

import numpy as np

import nativedl as nd
from op_table import OpInfo

F = ("float32", "float64")
INTS = ("int32", "int64")
BROADCAST = [((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3,)), ((0, 3), (3,)), ((5,), (5,))]
GRAD_BROADCAST = [((3, 4), (4,)), ((2, 1, 3), (2, 1)), ((), (3,))]
UNARY_SHAPES = [((3, 4),), ((),), ((0, 5),), ((2, 3, 4),)]
GRAD_UNARY = [((2, 3),), ((),)]
LOOSE = {"atol": {"float32": 1e-5, "float64": 1e-9}, "rtol": {"float32": 1e-5, "float64": 1e-9}}


def uniform(lo, hi):
    """Inputs drawn from [lo, hi] (floats) or their integer range."""
    return dict(low=lo, high=hi)


def away_from_zero(lo=0.5, hi=2.0, signed=True):
    """gen: magnitudes in [lo, hi] with random signs, so divisions and poles are safe."""
    def gen(shapes, dtype, rng):
        out = []
        for s in shapes:
            mag = rng.uniform(lo, hi, size=s) if np.dtype(dtype).kind == "f" else rng.integers(max(1, int(lo)), int(hi) + 1, size=s)
            sign = rng.choice([-1, 1], size=s) if signed else 1
            out.append(np.asarray(mag * sign).astype(dtype))
        return out
    return gen


def numerator_then_nonzero(num_range=5, den=(1, 3)):
    """gen for (a, b) divisions: a anything, b away from zero (ints or floats)."""
    def gen(shapes, dtype, rng):
        sa, sb = shapes
        if np.dtype(dtype).kind == "f":
            a = rng.uniform(-num_range, num_range, size=sa)
            b = rng.uniform(*den, size=sb) * rng.choice([-1, 1], size=sb)
        else:
            a = rng.integers(-num_range, num_range + 1, size=sa)
            b = rng.integers(den[0], den[1] + 1, size=sb) * rng.choice([-1, 1], size=sb)
        return [a.astype(dtype), b.astype(dtype)]
    return gen


def small_ints(lo=-2, hi=2):
    """gen: small integers in the row's dtype, so comparisons see ties."""
    def gen(shapes, dtype, rng):
        if dtype == "bool":
            return [rng.integers(0, 2, size=s).astype(bool) for s in shapes]
        return [rng.integers(lo, hi + 1, size=s).astype(dtype) for s in shapes]
    return gen


def specials(n_inputs=1):
    """gen: arrays mixing finite values, +-inf, nan and +-0 (IEEE propagation rows)."""
    vals = np.array([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan, 3.0])
    def gen(shapes, dtype, rng):
        return [rng.choice(vals, size=s).astype(dtype) for s in shapes[:n_inputs]]
    return gen


def near_pairs(shapes, dtype, rng):
    """gen: a = b (broadcast to a's shape) moved by 0, 1e-7, 1e-4 or 1e-1 relative, with some infinities and
    NaNs in both: the rows of isclose / allclose see every outcome away from the tolerance boundary."""
    b = rng.uniform(-2, 2, size=shapes[1])
    a = np.broadcast_to(b, shapes[0]) * (1 + rng.choice([0.0, 1e-7, 1e-4, 1e-1], size=shapes[0]))
    for arr in (a, b):
        arr[rng.random(arr.shape) < 0.1] = np.inf
        arr[rng.random(arr.shape) < 0.1] = np.nan
    return [a.astype(dtype), b.astype(dtype)]


def quiet(f):
    """A NumPy reference evaluated without floating-point warnings (nan/inf are expected)."""
    def ref(*a, **k):
        with np.errstate(all="ignore"):
            return f(*a, **k)
    return ref


def erf(x):
    return np.vectorize(math.erf, otypes=[x.dtype])(x) if x.size else x.copy()


def erfc(x):
    return np.vectorize(math.erfc, otypes=[x.dtype])(x) if x.size else x.copy()


def as_float(f):
    """Reference of an op that promotes integer inputs to the default float (float32)."""
    def ref(*arrays, **kw):
        arrays = [a if a.dtype.kind == "f" else a.astype(np.float32) for a in arrays]
        return f(*arrays, **kw)
    return ref


def trunc_div(a, b):
    if a.dtype.kind == "f":
        return np.trunc(a / b)
    return (np.abs(a) // np.abs(b)) * np.sign(a) * np.sign(b)


# ------------------------------------------------------------------ unary
# (name, NumPy reference, input range or gen) for ops whose integer inputs become float32.
UNARY_FLOAT = [
    ("exp", np.exp, uniform(-2, 2)), ("exp2", np.exp2, uniform(-2, 2)), ("expm1", np.expm1, uniform(-2, 2)),
    ("log", np.log, uniform(0.1, 3)), ("log1p", np.log1p, uniform(-0.9, 3)), ("log2", np.log2, uniform(0.1, 3)),
    ("log10", np.log10, uniform(0.1, 3)), ("sqrt", np.sqrt, uniform(0.1, 3)),
    ("rsqrt", lambda x: 1 / np.sqrt(x), uniform(0.1, 3)), ("sin", np.sin, uniform(-3, 3)),
    ("cos", np.cos, uniform(-3, 3)), ("tan", np.tan, uniform(-1.3, 1.3)), ("asin", np.arcsin, uniform(-0.9, 0.9)),
    ("acos", np.arccos, uniform(-0.9, 0.9)), ("atan", np.arctan, uniform(-3, 3)), ("sinh", np.sinh, uniform(-2, 2)),
    ("cosh", np.cosh, uniform(-2, 2)), ("tanh", np.tanh, uniform(-2, 2)), ("asinh", np.arcsinh, uniform(-3, 3)),
    ("acosh", np.arccosh, uniform(1.1, 3)), ("atanh", np.arctanh, uniform(-0.9, 0.9)), ("erf", erf, uniform(-2, 2)),
    ("erfc", erfc, uniform(-2, 2)), ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), uniform(-4, 4)),
    ("reciprocal", lambda x: 1 / x, dict(gen=away_from_zero())),
]
# Ops that keep integer dtypes (compared exactly on ints).
UNARY_ANY = [
    ("neg", np.negative), ("abs", np.abs), ("square", np.square), ("sign", np.sign), ("floor", np.floor),
    ("ceil", np.ceil), ("round", np.round), ("trunc", np.trunc), ("frac", lambda x: x - np.trunc(x)),
    ("relu", lambda x: np.maximum(x, 0).astype(x.dtype)),
]


def _unary_rows():
    rows = []
    for name, ref, dom in UNARY_FLOAT:
        rows.append(OpInfo(name, getattr(nd, name), ref, UNARY_SHAPES, grad_shapes=GRAD_UNARY, **dom, **LOOSE))
        # Integer inputs: computed in float32 (only where the domain has integers).
        if name not in ("acosh", "atanh", "asin", "acos", "reciprocal", "log", "log2", "log10", "rsqrt", "sqrt"):
            rows.append(OpInfo(f"{name}-int", getattr(nd, name), as_float(ref), [((3, 4),)], dtypes=INTS,
                               differentiable=False, **dom))
    for name, ref in UNARY_ANY:
        rows.append(OpInfo(name, getattr(nd, name), ref, UNARY_SHAPES, grad_shapes=GRAD_UNARY,
                           low=-3, high=3))
        rows.append(OpInfo(f"{name}-int", getattr(nd, name), ref, [((3, 4),), ((),)], dtypes=INTS + ("uint8",)
                           if name in ("abs", "square", "floor", "ceil", "round", "trunc") else INTS,
                           differentiable=False, low=-5 if name not in ("abs", "square") else 0, high=5))
    # round: halves go to even, like NumPy.
    rows.append(OpInfo("round-halves", nd.round, np.round, [((8,),)], differentiable=False,
                       gen=lambda s, d, r: [np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997], d)]))
    return rows


# ------------------------------------------------------------------ binary
# Binary ops that keep integer dtypes: (name, reference, OpInfo kwargs, integer dtypes tested).
BINARY_ARITH = [
    ("add", np.add, {}, INTS + ("uint8",)),
    ("sub", np.subtract, {}, INTS),
    ("mul", np.multiply, {}, INTS + ("uint8",)),
    ("maximum", np.maximum, {}, INTS + ("uint8",)),
    ("minimum", np.minimum, {}, INTS + ("uint8",)),
    ("div_floor", np.floor_divide, dict(gen=numerator_then_nonzero()), INTS),
    ("div_trunc", trunc_div, dict(gen=numerator_then_nonzero()), INTS),
    ("remainder", np.remainder, dict(gen=numerator_then_nonzero()), INTS),
    ("fmod", np.fmod, dict(gen=numerator_then_nonzero()), INTS),
]
# Binary ops that compute in float even for integer inputs.
BINARY_FLOAT = [
    ("div", np.divide, dict(gen=numerator_then_nonzero())),
    ("atan2", np.arctan2, dict(gen=away_from_zero())),
    ("hypot", np.hypot, dict(gen=away_from_zero())),
    ("copysign", np.copysign, dict(gen=away_from_zero())),
]


def _binary_rows():
    rows = []
    for name, ref, kw, ints in BINARY_ARITH:
        fn = getattr(nd, name)
        rows.append(OpInfo(name, fn, ref, BROADCAST, grad_shapes=GRAD_BROADCAST, **kw))
        rows.append(OpInfo(f"{name}-ints", fn, ref, BROADCAST, dtypes=ints, differentiable=False, **kw))
    for name, ref, kw in BINARY_FLOAT:
        fn = getattr(nd, name)
        rows.append(OpInfo(name, fn, ref, BROADCAST, grad_shapes=GRAD_BROADCAST, **kw, **LOOSE))
        rows.append(OpInfo(f"{name}-ints", fn, as_float(ref), BROADCAST, dtypes=INTS, differentiable=False,
                           **kw, **LOOSE))
    rows += [
        # pow: positive bases for float (so b can be any real), non-negative exponents for ints.
        OpInfo("pow", nd.pow, np.power, BROADCAST, grad_shapes=GRAD_BROADCAST,
               gen=lambda s, d, r: [r.uniform(0.5, 2, s[0]).astype(d), r.uniform(-2, 2, s[1]).astype(d)], **LOOSE),
        OpInfo("pow-ints", nd.pow, np.power, BROADCAST, dtypes=INTS, differentiable=False,
               gen=lambda s, d, r: [r.integers(-4, 5, s[0]).astype(d), r.integers(0, 4, s[1]).astype(d)]),
        OpInfo("pow-scalar_exponent", lambda a, e: nd.pow(a, e), lambda a, e: np.power(a, e), [((3, 4),)],
               kwargs=[{"e": 2}, {"e": 3}, {"e": 0.5}, {"e": -1.5}], low=0.5, high=2, **LOOSE),
        OpInfo("pow-negative_base_int_exponent", lambda a: nd.pow(a, 3), lambda a: a ** 3, [((3, 4),)], low=-2, high=2),
        OpInfo("pow-scalar_base", lambda b: 2.0 ** b, lambda b: np.power(np.asarray(2.0, b.dtype), b), [((3, 4),)],
               covers=("__rpow__",), **LOOSE),
        # Division rounding modes against NumPy's own floor/trunc division.
        OpInfo("div-floor", lambda a, b: nd.div(a, b, rounding_mode="floor"), np.floor_divide, BROADCAST,
               dtypes=F + INTS, differentiable=False, gen=numerator_then_nonzero(), covers=("floor_divide",)),
        OpInfo("div-trunc", lambda a, b: nd.divide(a, b, rounding_mode="trunc"), trunc_div, BROADCAST,
               dtypes=F + INTS, differentiable=False, gen=numerator_then_nonzero(), covers=("divide",)),
        OpInfo("div-true_divide", nd.true_divide, as_float(np.divide), BROADCAST[:2], dtypes=F + INTS,
               differentiable=False, gen=numerator_then_nonzero(), covers=("true_divide",), **LOOSE),
        OpInfo("floor_divide", nd.floor_divide, np.floor_divide, BROADCAST[:2], dtypes=F + INTS,
               differentiable=False, gen=numerator_then_nonzero()),
        # Non-integral float quotients, exact multiples and negative zero results (Python's semantics).
        OpInfo("remainder-signs", nd.remainder, np.remainder, [((8,), (8,))], differentiable=False,
               gen=lambda s, d, r: [np.array([5.5, -5.5, 5.5, -5.5, 6, -6, 0, -0.0], d),
                                    np.array([2, 2, -2, -2, 3, 3, -3, 3], d)]),
        OpInfo("fmod-signs", nd.fmod, np.fmod, [((8,), (8,))], differentiable=False,
               gen=lambda s, d, r: [np.array([5.5, -5.5, 5.5, -5.5, 6, -6, 0, -0.0], d),
                                    np.array([2, 2, -2, -2, 3, 3, -3, 3], d)]),
        OpInfo("div_floor-signs", nd.div_floor, np.floor_divide, [((8,), (8,))], dtypes=F + INTS,
               differentiable=False, gen=lambda s, d, r: [np.array([7, -7, 7, -7, 6, -6, 0, 1], d),
                                                          np.array([2, 2, -2, -2, 3, 3, -3, 5], d)]),
        # add/sub alpha, Python-number operands, and the operators.
        OpInfo("add-alpha", lambda a, b: nd.add(a, b, alpha=2.5), lambda a, b: a + 2.5 * b, BROADCAST[:3]),
        OpInfo("sub-alpha", lambda a, b: nd.sub(a, b, alpha=-3), lambda a, b: a - (-3) * b, BROADCAST[:3],
               dtypes=F + INTS),
        OpInfo("add-operators", lambda a, b: (a + b) * 2 - b / 4 + 1.5 - (-a), lambda a, b: (a + b) * 2 - b / 4 + 1.5 + a,
               BROADCAST[:3], covers=("__add__", "__radd__", "__sub__", "__mul__", "__truediv__", "__neg__")),
        OpInfo("sub-reflected", lambda a: 3 - a, lambda a: 3 - a, [((3, 4),), ((),)], dtypes=F + INTS,
               covers=("__rsub__",)),
        OpInfo("div-reflected", lambda a: 2 / a, lambda a: 2 / a, [((3, 4),)], gen=away_from_zero(),
               covers=("__rtruediv__",), **LOOSE),
        OpInfo("remainder-operators", lambda a, b: (a % b, a // b), lambda a, b: (np.remainder(a, b), np.floor_divide(a, b)),
               BROADCAST[:3], dtypes=F + INTS, differentiable=False, gen=numerator_then_nonzero(),
               covers=("__mod__", "__floordiv__")),
    ]
    # Type promotion: (name, make inputs, reference computed in the dtype PyTorch gives).
    promo = [
        ("add-int_float", nd.add, lambda a, b: a.astype(np.float32) + b,
         lambda s, d, r: [r.integers(-5, 6, s[0]), r.uniform(-2, 2, s[1]).astype(np.float32)]),
        ("div-int_int", nd.div, lambda a, b: a.astype(np.float32) / b.astype(np.float32),
         lambda s, d, r: [r.integers(-9, 10, s[0]).astype(np.int32), r.integers(1, 5, s[1])]),
        ("add-bool_int", nd.add, lambda a, b: a.astype(np.int64) + b,
         lambda s, d, r: [r.integers(0, 2, s[0]).astype(bool), r.integers(-5, 6, s[1])]),
        ("mul-uint8_int32", nd.mul, lambda a, b: a.astype(np.int32) * b,
         lambda s, d, r: [r.integers(0, 9, s[0]).astype(np.uint8), r.integers(-5, 6, s[1]).astype(np.int32)]),
        ("sub-float32_float64", nd.sub, lambda a, b: a.astype(np.float64) - b,
         lambda s, d, r: [r.uniform(-2, 2, s[0]).astype(np.float32), r.uniform(-2, 2, s[1])]),
        ("add-int_tensor_float_scalar", lambda a: a + 1.5, lambda a: a.astype(np.float32) + np.float32(1.5),
         lambda s, d, r: [r.integers(-5, 6, s[0]).astype(np.int32)]),
        ("mul-float32_tensor_float64_0d", nd.mul, lambda a, b: a * b.astype(np.float32),
         lambda s, d, r: [r.uniform(-2, 2, s[0]).astype(np.float32), np.array(1.25)]),
    ]
    for name, fn, ref, gen in promo:
        rows.append(OpInfo(name, fn, ref, [((3, 4), (4,)), ((2, 3), (2, 3))] if "scalar" not in name and "0d" not in name
                           else [((3, 4), ())], dtypes=("float32",), differentiable=False, gen=gen))
    return rows


# ------------------------------------------------------------------ bool outputs
def _bool_rows():
    rows = []
    cmp = [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
           ("ge", np.greater_equal), ("logical_and", np.logical_and), ("logical_or", np.logical_or),
           ("logical_xor", np.logical_xor)]
    ops = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}
    for name, ref in cmp:
        rows.append(OpInfo(name, getattr(nd, name), ref, BROADCAST, dtypes=F + INTS + ("uint8", "bool"),
                           differentiable=False, gen=small_ints()))
        if name in ops:
            rows.append(OpInfo(f"{name}-operator", lambda a, b, o=ops[name]: getattr(a, o)(b), ref, BROADCAST[:3],
                               differentiable=False, gen=small_ints(), covers=(ops[name],)))
    rows += [
        OpInfo("eq-mixed_dtypes", nd.eq, lambda a, b: a.astype(np.float32) == b, [((3, 4), (4,))], dtypes=("float32",),
               differentiable=False, gen=lambda s, d, r: [r.integers(-2, 3, s[0]), r.integers(-2, 3, s[1]).astype(d)]),
        OpInfo("lt-scalar", lambda a: a < 0.5, lambda a: a < 0.5, [((3, 4),)], dtypes=F + INTS, differentiable=False),
        OpInfo("logical_and-operators", lambda a, b: (a & b) | (~a ^ b), lambda a, b: (a & b) | (~a ^ b),
               BROADCAST[:3], dtypes=("bool",), differentiable=False, covers=("__and__", "__or__", "__xor__", "__invert__")),
        OpInfo("logical_not", nd.logical_not, np.logical_not, UNARY_SHAPES, dtypes=F + INTS + ("bool",),
               differentiable=False, gen=small_ints(-1, 1)),
        OpInfo("isnan", nd.isnan, np.isnan, UNARY_SHAPES, dtypes=F, differentiable=False, gen=specials()),
        OpInfo("isinf", nd.isinf, np.isinf, UNARY_SHAPES, dtypes=F, differentiable=False, gen=specials()),
        OpInfo("isfinite", nd.isfinite, np.isfinite, UNARY_SHAPES, dtypes=F, differentiable=False, gen=specials()),
        OpInfo("isfinite-ints", nd.isfinite, np.isfinite, [((3, 4),)], dtypes=INTS + ("bool",), differentiable=False),
        OpInfo("isnan-ints", nd.isnan, np.isnan, [((3, 4),)], dtypes=INTS, differentiable=False),
        OpInfo("isinf-ints", nd.isinf, np.isinf, [((3, 4),)], dtypes=INTS, differentiable=False),
        OpInfo("isclose", nd.isclose, np.isclose, [((3, 4), (3, 4)), ((3, 4), (4,)), ((0, 2), (2,))],
               kwargs=({}, {"rtol": 1e-2, "atol": 0.0}, {"equal_nan": True}), dtypes=F, differentiable=False,
               gen=near_pairs, covers=("allclose",)),
        OpInfo("isclose-ints", nd.isclose, np.isclose, [((3, 4), (3, 4))], kwargs=({}, {"atol": 1}), dtypes=INTS,
               differentiable=False, gen=small_ints(-2, 2)),
        OpInfo("allclose", nd.allclose, np.allclose, [((3, 4), (3, 4)), ((3, 4), (4,))],
               kwargs=({}, {"rtol": 0.2, "atol": 0.0}, {"equal_nan": True}), dtypes=F, differentiable=False,
               gen=near_pairs),
        OpInfo("equal", nd.equal, lambda a, b: a.shape == b.shape and bool(np.all(a == b)),
               [((3, 4), (3, 4)), ((3, 4), (4,)), ((2,), (2,))], dtypes=F + INTS, differentiable=False,
               gen=small_ints(0, 1)),
    ]
    return rows


# ------------------------------------------------------------------ where, clamp, lerp, addc*
def _cond_gen(shapes, dtype, rng):
    c, *rest = shapes
    return [rng.integers(0, 2, size=c).astype(bool)] + [rng.uniform(-2, 2, size=s).astype(dtype) for s in rest]


def _bounds_gen(shapes, dtype, rng):
    sx, slo, shi = shapes
    x = rng.uniform(-2, 2, sx)
    return [x.astype(dtype), rng.uniform(-1, -0.2, slo).astype(dtype), rng.uniform(0.2, 1, shi).astype(dtype)]


def _int_gen(shapes, dtype, rng):
    return [rng.integers(-5, 6, size=s).astype(dtype) for s in shapes]


def _ternary_rows():
    where_shapes = [((3, 4), (3, 4), (3, 4)), ((3, 1), (4,), (3, 4)), ((), (2, 3), (2, 1)), ((0, 2), (2,), ())]
    return [
        OpInfo("where", nd.where, np.where, where_shapes, gen=_cond_gen, grad_inputs=[1, 2]),
        OpInfo("where-ints", nd.where, np.where, where_shapes, dtypes=INTS, differentiable=False,
               gen=lambda s, d, r: [r.integers(0, 2, s[0]).astype(bool)] + _int_gen(s[1:], d, r)),
        OpInfo("where-method", lambda c, a, b: a.where(c, b), np.where, where_shapes[:2], gen=_cond_gen,
               grad_inputs=[1, 2]),
        OpInfo("where-scalars", lambda c, a: nd.where(c, a, 0.0), lambda c, a: np.where(c, a, a.dtype.type(0)),
               [((3, 4), (3, 4))], gen=_cond_gen, grad_inputs=[1]),
        OpInfo("clamp", lambda x, lo, hi: nd.clamp(x, lo, hi), lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
               [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)), ((2, 3), (), ())], gen=_bounds_gen),
        OpInfo("clamp-scalars", nd.clamp, lambda x, min=None, max=None: np.clip(x, min, max), UNARY_SHAPES,
               kwargs=[{"min": -0.5, "max": 0.7}, {"min": 0.3}, {"max": -0.2}], covers=("clip",)),
        OpInfo("clamp-ints", nd.clip, lambda x, min=None, max=None: np.clip(x, min, max), [((3, 4),)],
               kwargs=[{"min": -2, "max": 3}, {"min": 0}], dtypes=INTS, differentiable=False,
               low=0, high=9),
        OpInfo("clamp-method", lambda x: x.clamp(min=-1).clip(max=1), lambda x: np.clip(x, -1, 1), [((3, 4),)]),
        OpInfo("lerp", nd.lerp, lambda a, b, w: a + w * (b - a), [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1))]),
        OpInfo("lerp-scalar_weight", lambda a, b: nd.lerp(a, b, 0.25), lambda a, b: a + 0.25 * (b - a),
               [((3, 4), (3, 4)), ((2, 3), (3,))]),
        OpInfo("addcmul", nd.addcmul, lambda a, t1, t2, value=1: a + value * t1 * t2,
               [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1))], kwargs=[{}, {"value": 0.5}]),
        OpInfo("addcdiv", nd.addcdiv, lambda a, t1, t2, value=1: a + value * t1 / t2,
               [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1))], kwargs=[{}, {"value": -2}],
               gen=lambda s, d, r: [r.uniform(-2, 2, s[0]).astype(d), r.uniform(-2, 2, s[1]).astype(d),
                                    away_from_zero()([s[2]], d, r)[0]], **LOOSE),
        OpInfo("clone", nd.clone, np.copy, UNARY_SHAPES, dtypes=F + INTS + ("uint8", "bool")),
    ]


# ------------------------------------------------------------------ NaN / inf (IEEE, like NumPy)
def _special_rows():
    unary = [("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("tanh", np.tanh), ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
             ("abs", np.abs), ("neg", np.negative), ("floor", np.floor), ("round", np.round),
             ("sign", lambda x: np.where(np.isnan(x), 0, np.sign(x))),  # sign(nan) is 0, as PyTorch
             ("relu", lambda x: np.where(x < 0, 0, x).astype(x.dtype)), ("reciprocal", lambda x: 1 / x),
             ("atanh", np.arctanh), ("asin", np.arcsin), ("erf", erf)]
    rows = [OpInfo(f"{n}-special", getattr(nd, n), quiet(r), [((16,),)], dtypes=F, differentiable=False,
                   gen=specials()) for n, r in unary]
    binary = [("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("div", np.divide),
              ("maximum", np.maximum), ("minimum", np.minimum), ("pow", np.power), ("atan2", np.arctan2),
              ("hypot", np.hypot), ("fmod", np.fmod), ("remainder", np.remainder), ("div_floor", np.floor_divide),
              ("div_trunc", lambda a, b: np.trunc(a / b)), ("copysign", np.copysign), ("eq", np.equal),
              ("lt", np.less), ("ge", np.greater_equal)]
    rows += [OpInfo(f"{n}-special", getattr(nd, n), quiet(r), [((16,), (16,)), ((4, 4), (4,))], dtypes=F,
                    differentiable=False, gen=specials(2)) for n, r in binary]
    rows.append(OpInfo("clamp-special", lambda x: nd.clamp(x, -1.0, 1.0), quiet(lambda x: np.minimum(np.maximum(x, -1.0), 1.0)),
                       [((16,),)], dtypes=F, differentiable=False, gen=specials()))
    return rows


ROWS = _unary_rows() + _binary_rows() + _bool_rows() + _ternary_rows() + _special_rows()
