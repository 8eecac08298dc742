"""The out= argument of elementwise ops: PyTorch's semantics, checked against NumPy."""
import numpy as np
import pytest

import nativedl as nd

RNG = np.random.default_rng(7)
A = RNG.uniform(0.5, 2.0, (4, 5)).astype(np.float32)
B = RNG.uniform(0.5, 2.0, (5,)).astype(np.float32)

UNARY = [
    ("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("tanh", np.tanh), ("sin", np.sin),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))), ("reciprocal", lambda x: 1 / x),
    ("neg", np.negative), ("abs", np.abs), ("square", np.square), ("floor", np.floor),
    ("relu", lambda x: np.maximum(x, 0)),
]
BINARY = [
    ("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("div", np.divide),
    ("pow", np.power), ("maximum", np.maximum), ("minimum", np.minimum), ("remainder", np.mod),
    ("atan2", np.arctan2), ("hypot", np.hypot),
]
COMPARE = [("lt", np.less), ("le", np.less_equal), ("eq", np.equal), ("ne", np.not_equal),
           ("gt", np.greater), ("ge", np.greater_equal)]


@pytest.mark.parametrize("name,ref", UNARY, ids=[u[0] for u in UNARY])
def test_unary_writes_into_out_and_returns_it(name, ref):
    out = nd.empty(4, 5)
    got = getattr(nd, name)(nd.tensor(A), out=out)
    assert got is out
    np.testing.assert_allclose(out.numpy(), ref(A.astype(np.float64)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,ref", BINARY, ids=[b[0] for b in BINARY])
def test_binary_broadcasts_into_out(name, ref):
    out = nd.empty(4, 5)
    got = getattr(nd, name)(nd.tensor(A), nd.tensor(B), out=out)
    assert got is out
    np.testing.assert_allclose(out.numpy(), ref(A.astype(np.float64), B.astype(np.float64)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,ref", COMPARE, ids=[c[0] for c in COMPARE])
def test_comparison_into_bool_out(name, ref):
    a = np.array([[1.0, 2.0, 3.0]], np.float32)
    b = np.array([[2.0], [1.0]], np.float32)
    out = nd.empty(2, 3, dtype=nd.bool)
    getattr(nd, name)(nd.tensor(a), nd.tensor(b), out=out)
    np.testing.assert_array_equal(out.numpy(), ref(a, b))


def test_empty_out_is_resized_to_the_result():
    out = nd.empty(0)
    nd.mul(nd.tensor(A), nd.tensor(B), out=out)
    assert tuple(out.shape) == (4, 5)
    np.testing.assert_allclose(out.numpy(), A * B, rtol=1e-6)


def test_wider_out_dtype_receives_the_cast_result():
    out = nd.empty(4, 5, dtype=nd.float64)
    nd.add(nd.tensor(A), nd.tensor(B), out=out)
    assert out.dtype == nd.float64
    np.testing.assert_allclose(out.numpy(), A.astype(np.float64) + B.astype(np.float64), rtol=1e-6)


def test_bool_result_casts_into_a_float_out():
    out = nd.empty(4, 5)
    nd.lt(nd.tensor(A), 1.0, out=out)
    np.testing.assert_array_equal(out.numpy(), (A < 1.0).astype(np.float32))


def test_add_sub_alpha_and_div_rounding_modes():
    a, b = nd.tensor(A), nd.tensor(B)
    out = nd.empty(4, 5)
    nd.add(a, b, alpha=2.5, out=out)
    np.testing.assert_allclose(out.numpy(), A + 2.5 * B, rtol=1e-6)
    nd.sub(a, b, alpha=-1, out=out)
    np.testing.assert_allclose(out.numpy(), A + B, rtol=1e-6)
    x = np.array([-7.0, -2.5, 3.5, 7.0], np.float32)
    out = nd.empty(4)
    nd.div(nd.tensor(x), 2, rounding_mode="floor", out=out)
    np.testing.assert_array_equal(out.numpy(), np.floor(x / 2))
    nd.div(nd.tensor(x), 2, rounding_mode="trunc", out=out)
    np.testing.assert_array_equal(out.numpy(), np.trunc(x / 2))


def test_non_contiguous_out_view_writes_through_to_its_base():
    base = nd.zeros(5, 4)
    nd.add(nd.tensor(A), nd.tensor(B), out=base.t())
    np.testing.assert_allclose(base.numpy(), (A + B).T, rtol=1e-6)


def test_out_may_alias_an_input():
    x = nd.tensor(A.copy())
    nd.mul(x, 2, out=x)
    np.testing.assert_allclose(x.numpy(), A * 2, rtol=1e-6)
    # Partial overlap: the result is computed as if from the original input.
    v = np.arange(8, dtype=np.float32)
    t = nd.tensor(v.copy())
    nd.add(t[:6], 1, out=t[2:])
    expected = v.copy()
    expected[2:] = v[:6] + 1
    np.testing.assert_array_equal(t.numpy(), expected)


def test_out_under_no_grad_accepts_inputs_that_require_grad():
    x = nd.tensor(A, requires_grad=True)
    out = nd.empty(4, 5)
    with nd.no_grad():
        nd.exp(x, out=out)
    assert not out.requires_grad
    np.testing.assert_allclose(out.numpy(), np.exp(A), rtol=1e-6)


@pytest.mark.parametrize("call,exc,words", [
    (lambda: nd.add(nd.tensor(A), nd.tensor(B), out=nd.empty(3, 5)), ValueError, ["[add]", "(3, 5)", "(4, 5)"]),
    (lambda: nd.exp(nd.tensor(A), out=nd.empty(7)), ValueError, ["[exp]", "(7,)", "(4, 5)"]),
    (lambda: nd.add(nd.tensor(A), nd.tensor(B), out=nd.empty(4, 5, dtype=nd.int64)), TypeError, ["[add]", "int64"]),
    (lambda: nd.add(nd.tensor(A), 1, out=np.zeros((4, 5))), TypeError, ["[add]", "out", "ndarray"]),
    (lambda: nd.add(nd.tensor(A, requires_grad=True), 1, out=nd.empty(4, 5)), RuntimeError, ["[add]", "out="]),
], ids=["shape", "unary-shape", "dtype", "not-a-tensor", "requires-grad"])
def test_bad_out_raises_before_writing(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value)


def test_failed_out_call_leaves_out_untouched():
    out = nd.full((4, 5), 3.0, dtype=nd.int64)
    with pytest.raises(TypeError):
        nd.add(nd.tensor(A), 1, out=out)
    np.testing.assert_array_equal(out.numpy(), np.full((4, 5), 3))
