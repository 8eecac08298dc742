"""Whole-tensor comparisons (PyTorch's isclose / allclose / equal) beyond the op table's rows."""
import math

import numpy as np
import pytest

import nativedl as nd


def test_allclose_true_false_and_broadcast():
    a = nd.tensor([[1.0, 2.0, math.inf], [3.0, 4.0, math.inf]])
    assert nd.allclose(a, a + 1e-9)  # inf - inf is NaN, but equal infinities are close
    assert not nd.allclose(a, a + 1e-3)
    assert nd.allclose(a, a + 1e-3, rtol=1e-3, atol=1e-3)
    assert nd.allclose(a[:, :2], nd.tensor([[1.0, 2.0]]) + nd.tensor([[0.0], [2.0]]))
    assert a.allclose(a)


def test_allclose_nan():
    a = nd.tensor([1.0, math.nan])
    assert not nd.allclose(a, a)
    assert nd.allclose(a, a, equal_nan=True)


def test_equal_needs_same_shape_and_values_across_dtypes():
    assert nd.equal(nd.tensor([1, 2]), nd.tensor([1.0, 2.0]))
    assert not nd.equal(nd.tensor([1, 2]), nd.tensor([[1, 2]]))
    assert not nd.equal(nd.tensor([math.nan]), nd.tensor([math.nan]))
    assert nd.tensor([True, False]).equal(nd.tensor([True, False]))
    assert nd.equal(nd.zeros(0, 3), nd.zeros(0, 3))


def test_isclose_integer_tolerance():
    np.testing.assert_array_equal(nd.isclose(nd.tensor([1, 5, 9]), nd.tensor([1, 6, 7]), atol=1).numpy(),
                                  [True, True, False])


@pytest.mark.parametrize("call,exc,words", [
    (lambda: nd.isclose(nd.tensor([1.0]), nd.tensor([1])), TypeError, ["[isclose]", "float32", "int64"]),
    (lambda: nd.allclose(nd.ones(2), nd.ones(2), rtol=-1.0), ValueError, ["[isclose]", "rtol"]),
    (lambda: nd.isclose(nd.ones(2, 3), nd.ones(4)), ValueError, ["(2, 3)", "(4,)"]),
])
def test_errors(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value)
