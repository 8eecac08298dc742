"""The unary ops with polynomial vector math (exp, expm1, log, log1p, tanh, sigmoid: cpu/vec/vec_math.h
for AVX2, cpu/vec/vec_avx512.h for AVX-512) against NumPy at edge values (0, -0, subnormal, tiny, the
overflow and underflow thresholds, +-inf, NaN) and over many random magnitudes, within 2 ulp of the
result (NumPy's float64 functions stand in for the exact values; float32 results are compared with
the float64 reference rounded once)."""
import math

import numpy as np
import pytest

import nativedl as nd

def _sigmoid(x):
    e = np.exp(-np.abs(x))  # never overflows: the x < 0 tail keeps its subnormal values
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


REFS = {"exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "tanh": np.tanh, "sigmoid": _sigmoid}


def _inputs(dtype):
    rng = np.random.default_rng(5)
    fi = np.finfo(dtype)
    edges = [0.0, float(fi.tiny), float(fi.tiny) / 64, float(fi.eps), 1e-30, 0.5, 1.0, 2.0, 10.0, 30.0, 88.0,
             89.0, 100.0, 700.0, 709.0, 710.0, 745.0, float(fi.max), math.inf]
    spread = [rng.standard_normal(3000) * 5, np.exp(rng.uniform(-80, 80, 3000)), rng.uniform(-1e-3, 1e-3, 1000)]
    return np.concatenate([edges, [-e for e in edges], [math.nan], *spread]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(REFS))
def test_unary_vector_math_within_2_ulp(name, dtype):
    x = _inputs(dtype)
    with np.errstate(all="ignore"):
        want = REFS[name](x.astype(np.float64)).astype(dtype)
    got = getattr(nd, name)(nd.from_numpy(x.copy())).numpy()
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(all="ignore"):
        ulps = np.abs(got.astype(np.float64) - want.astype(np.float64)) / np.spacing(np.abs(want)).astype(np.float64)
    bad = ~same & ~(ulps <= 2)
    assert not bad.any(), f"{name} {dtype.__name__}: x={x[bad][:5]} got={got[bad][:5]} want={want[bad][:5]}"
