"""Bad inputs to reductions raise clear errors naming the op and the argument."""
import numpy as np
import pytest

import nativedl as nd

X = nd.from_numpy(np.ones((2, 3)))
EMPTY = nd.from_numpy(np.ones((0, 3)))
INTS = nd.from_numpy(np.ones((2, 3), dtype=np.int64))


@pytest.mark.parametrize("call", [
    lambda: X.sum(2), lambda: X.sum((0, -3)), lambda: X.amax(5), lambda: X.max(2), lambda: X.argmax(-3),
    lambda: X.var(3), lambda: X.cumsum(2), lambda: X.cumprod(-3), lambda: X.logsumexp(2), lambda: X.prod(4),
    lambda: X.all(2), lambda: X.norm(dim=2),
])
def test_dim_out_of_range(call):
    with pytest.raises(IndexError, match=r"^\[\w+\] dim -?\d+ is out of range"):
        call()


@pytest.mark.parametrize("call", [lambda: X.sum((0, 0)), lambda: X.mean((1, -1)), lambda: X.amax((0, -2)),
                                  lambda: X.var((0, 0)), lambda: X.logsumexp((1, 1)), lambda: X.any((0, 0))])
def test_repeated_dim(call):
    with pytest.raises(ValueError, match=r"appears multiple times"):
        call()


@pytest.mark.parametrize("call", [lambda: EMPTY.max(), lambda: EMPTY.min(), lambda: EMPTY.amax(),
                                  lambda: EMPTY.argmax(), lambda: EMPTY.max(0), lambda: EMPTY.amin(0),
                                  lambda: EMPTY.argmin(0), lambda: EMPTY.norm(float("inf"), 0)])
def test_max_of_empty_raises(call):
    with pytest.raises(IndexError, match=r"^\[\w+\] expected reduction dim"):
        call()


def test_reducing_a_non_empty_dim_of_an_empty_tensor_is_fine():
    assert tuple(EMPTY.amax(1).shape) == (0,) and tuple(EMPTY.max(1).indices.shape) == (0,)


@pytest.mark.parametrize("call,op", [(lambda: INTS.mean(), "mean"), (lambda: INTS.var(), "var"),
                                     (lambda: INTS.std(), "std"), (lambda: INTS.norm(), "norm")])
def test_integer_inputs_rejected(call, op):
    with pytest.raises(TypeError, match=rf"^\[{op}\].*int64"):
        call()


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"^\[norm\] p must be a number or 'fro'"):
        X.norm("nuc")
    with pytest.raises(ValueError, match=r"^\[norm\] p must be >= 0"):
        X.norm(-1)
    with pytest.raises(TypeError, match=r"^\[var\] pass either 'unbiased' or 'correction'"):
        X.var(0, True, correction=0)
    with pytest.raises(TypeError, match=r"^\[sum\] can't reduce a float64 input into dtype int64"):
        X.sum(dtype=nd.int64)
