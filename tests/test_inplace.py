"""In-place forms (`x.op_(...)`, `+=` ...) against the op table's NumPy references: the result
lands in self's memory (contiguous or strided), in self's dtype, and the version counter moves."""
import operator

import numpy as np
import pytest

import nativedl as nd
from op_table.elementwise import BINARY_ARITH, BINARY_FLOAT, INTS, UNARY_ANY, UNARY_FLOAT, trunc_div


def strided(arr):
    """A nativedl view of arr's values inside a larger buffer (every other column)."""
    big = np.zeros(arr.shape[:-1] + (arr.shape[-1] * 2,), arr.dtype)
    big[..., ::2] = arr
    return nd.from_numpy(big)[..., ::2], big


def check_inplace(method, a, others, expected):
    for layout in ("contiguous", "strided"):
        if layout == "contiguous":
            t, big = nd.from_numpy(a.copy()), None
        else:
            t, big = strided(a.copy())
        ptr, version = t.data_ptr(), t._version
        r = getattr(t, method)(*others)
        assert r is t  # in-place methods return self, as PyTorch's do
        assert r.data_ptr() == ptr and r.dtype == t.dtype and tuple(r.shape) == a.shape
        assert t._version > version
        np.testing.assert_allclose(t.numpy().astype(np.float64), np.asarray(expected).astype(a.dtype).astype(np.float64),
                                   rtol=1e-5, atol=1e-6, err_msg=f"{method} {layout}")
        if big is not None:
            assert np.all(big[..., 1::2] == 0), f"{method} wrote outside the view"


def _inputs(gen_kw, dtype, shapes, rng):
    gen = gen_kw.get("gen")
    if gen is not None:
        return [np.asarray(a) for a in gen(shapes, dtype, rng)]
    lo, hi = gen_kw.get("low", -2), gen_kw.get("high", 2)
    if np.dtype(dtype).kind == "f":
        return [np.asarray(rng.uniform(lo, hi, s), dtype) for s in shapes]
    return [np.asarray(rng.integers(int(lo), int(hi) + 1, s), dtype) for s in shapes]


UNARY_CASES = [(n, r, d, "float64") for n, r, d in UNARY_FLOAT] + [(n, r, {"low": -3, "high": 3}, dt)
                                                                  for n, r in UNARY_ANY for dt in ("float32", "int64")]


@pytest.mark.parametrize("name,ref,dom,dtype", UNARY_CASES, ids=[f"{c[0]}-{c[3]}" for c in UNARY_CASES])
def test_unary_inplace(name, ref, dom, dtype):
    (a,) = _inputs(dom, dtype, [(3, 4)], np.random.default_rng(0))
    check_inplace(name + "_", a, [], ref(a.copy()))


BINARY_CASES = [(n, r, kw, dt) for n, r, kw, ints in BINARY_ARITH for dt in ("float32",) + ints[:1]]
BINARY_CASES += [(n, r, kw, "float64") for n, r, kw in BINARY_FLOAT]
BINARY_CASES += [(n, r, {}, "float32") for n, r in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                                                     ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal),
                                                     ("logical_and", np.logical_and), ("logical_or", np.logical_or),
                                                     ("logical_xor", np.logical_xor)]]
BINARY_CASES += [("pow", np.power, {"gen": lambda s, d, r: [r.uniform(0.5, 2, s[0]).astype(d), r.uniform(-2, 2, s[1]).astype(d)]},
                  "float64"),
                 ("pow", np.power, {"gen": lambda s, d, r: [r.integers(-3, 4, s[0]).astype(d), r.integers(0, 4, s[1]).astype(d)]},
                  "int64")]


@pytest.mark.parametrize("other_shape", [(3, 4), (4,), ()])
@pytest.mark.parametrize("name,ref,kw,dtype", BINARY_CASES, ids=[f"{c[0]}-{c[3]}" for c in BINARY_CASES])
def test_binary_inplace(name, ref, kw, dtype, other_shape):
    a, b = _inputs(kw, dtype, [(3, 4), other_shape], np.random.default_rng(1))
    with np.errstate(all="ignore"):
        expected = ref(a, b)
    check_inplace(name + "_", a, [nd.from_numpy(b)], expected)


@pytest.mark.parametrize("op,ref", [
    (operator.iadd, np.add), (operator.isub, np.subtract), (operator.imul, np.multiply),
    (operator.itruediv, np.divide), (operator.ifloordiv, np.floor_divide), (operator.imod, np.remainder),
    (operator.ipow, np.power),
], ids=lambda v: getattr(v, "__name__", ""))
def test_augmented_assignment(op, ref):
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0.5, 3, (3, 4)), rng.uniform(-2, 2, (4,))
    for other, other_np in ((nd.from_numpy(b), b), (2.0, 2.0), (3, 3)):
        t = nd.from_numpy(a.copy())
        ptr = t.data_ptr()
        r = op(t, other)
        assert r.data_ptr() == ptr
        np.testing.assert_allclose(t.numpy(), ref(a, other_np), rtol=1e-12)


def test_inplace_with_options():
    a = np.array([[7.0, -7.0, 5.5], [-5.5, 2.0, -1.0]])
    b = np.array([2.0, 2.0, -2.0])
    cases = [
        (lambda t: t.add_(nd.from_numpy(b), alpha=3), a + 3 * b),
        (lambda t: t.sub_(nd.from_numpy(b), alpha=0.5), a - 0.5 * b),
        (lambda t: t.div_(nd.from_numpy(b), rounding_mode="floor"), np.floor_divide(a, b)),
        (lambda t: t.div_(nd.from_numpy(b), rounding_mode="trunc"), np.trunc(a / b)),
        (lambda t: t.div_(nd.from_numpy(b)), a / b),
        (lambda t: t.clamp_(-1.5, 3), np.clip(a, -1.5, 3)),
        (lambda t: t.clip_(min=0), np.clip(a, 0, None)),
        (lambda t: t.fill_(2.5), np.full_like(a, 2.5)),
        (lambda t: t.zero_(), np.zeros_like(a)),
        (lambda t: t.copy_(nd.from_numpy(b)), np.broadcast_to(b, a.shape)),
        (lambda t: t.copy_(nd.tensor([1, 2, 3])), np.broadcast_to([1.0, 2.0, 3.0], a.shape)),
        (lambda t: t.copy_(nd.from_numpy(a.T.copy()).t()), a),
    ]
    for op, expected in cases:
        t = nd.from_numpy(a.copy())
        op(t)
        np.testing.assert_allclose(t.numpy(), expected)
    ints = nd.tensor([7, -7, 5, -5])
    ints.div_(nd.tensor([2, 2, -2, -2]), rounding_mode="floor")
    assert ints.tolist() == [3, -4, -3, 2] and ints.dtype == nd.int64
    ints = nd.tensor([7, -7, 5, -5])
    ints.div_(2, rounding_mode="trunc")
    assert ints.tolist() == trunc_div(np.array([7, -7, 5, -5]), np.array(2)).tolist()


def test_inplace_overlapping_operands():
    t = nd.arange(9.0).reshape(3, 3)
    t.add_(t.t())  # reads all of t.t() before writing
    a = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(t.numpy(), a + a.T)
    u = nd.arange(9.0).reshape(3, 3)
    u.copy_(u.t())
    np.testing.assert_array_equal(u.numpy(), a.T)


@pytest.mark.parametrize("dtype", INTS)
def test_int_inplace_keeps_dtype(dtype):
    t = nd.tensor([1, -2, 3], dtype=getattr(nd, dtype))
    t.mul_(3).add_(1).neg_().abs_()
    assert t.dtype == getattr(nd, dtype) and t.tolist() == [4, 5, 10]
    t.eq_(5)
    assert t.tolist() == [0, 1, 0]


def test_fill_through_broadcast_dims_is_allowed():
    base = nd.zeros(1, 4)
    base.expand(3, 4).fill_(2.0)
    assert base.tolist() == [[2.0] * 4]
    base.expand(3, 4).zero_()
    assert base.tolist() == [[0.0] * 4]


def _int_index():
    return nd.from_numpy(np.array([[0, 1, 2], [2, 0, 1]], np.int64))


# (method, arguments) for every in-place method that isn't an elementwise op.
OTHER_INPLACE = [
    ("copy_", lambda: (nd.ones(2, 3),)),
    ("fill_", lambda: (2.5,)),
    ("zero_", lambda: ()),
    ("clamp_", lambda: (-0.5, 0.5)),
    ("clip_", lambda: (None, 0.5)),
    ("add_", lambda: (nd.ones(2, 3),)),
    ("add_", lambda: (1, )),
    ("sub_", lambda: (nd.ones(3),)),
    ("mul_", lambda: (2,)),
    ("div_", lambda: (2,)),
    ("div_", lambda: (3.0,)),
    ("masked_fill_", lambda: (nd.from_numpy(np.array([True, False, True])), 7.0)),
    ("masked_fill_", lambda: (nd.from_numpy(np.array([True, False, True])), nd.tensor(7.0))),
    ("index_put_", lambda: ((nd.from_numpy(np.array([0, 1])),), nd.ones(2, 3))),
    ("index_add_", lambda: (0, nd.from_numpy(np.array([1, 0])), nd.ones(2, 3))),
    ("scatter_", lambda: (1, _int_index(), nd.ones(2, 3))),
    ("scatter_", lambda: (1, _int_index(), 4.0)),
    ("scatter_add_", lambda: (1, _int_index(), nd.ones(2, 3))),
    ("requires_grad_", lambda: ()),
    ("detach_", lambda: ()),
    ("relu_", lambda: ()),
    ("exp_", lambda: ()),
    ("pow_", lambda: (2,)),
]


@pytest.mark.parametrize("method,args", OTHER_INPLACE, ids=[f"{m}{i}" for i, (m, _) in enumerate(OTHER_INPLACE)])
def test_inplace_methods_return_self(method, args):
    x = nd.from_numpy(np.linspace(-1, 1, 6).reshape(2, 3).astype(np.float32))
    if method == "div_":
        assert x.div_(*args(), rounding_mode="floor") is x
    assert getattr(x, method)(*args()) is x


@pytest.mark.parametrize("op", ["__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__",
                                "__ipow__"])
def test_augmented_operators_return_self(op):
    x = nd.from_numpy(np.linspace(1, 2, 6).astype(np.float32))
    y = x
    assert getattr(x, op)(2) is x
    y = getattr(operator, op)(y, 2)  # the statement `y op= 2`
    assert y is x


def test_inplace_on_parameter_keeps_the_parameter():
    from nativedl import nn
    lin = nn.Linear(3, 2)
    w = lin.weight
    before = w.detach().numpy().copy()
    with nd.no_grad():
        lin.weight -= 0.1
        lin.weight *= 2
        lin.bias.zero_().add_(1)
    assert lin.weight is w and isinstance(lin.weight, nn.Parameter) and lin.weight.requires_grad
    np.testing.assert_allclose(lin.weight.detach().numpy(), (before - 0.1) * 2, rtol=1e-6)
    np.testing.assert_array_equal(lin.bias.detach().numpy(), [1, 1])
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]


def test_functional_inplace_returns_the_input():
    from nativedl.nn import functional as F
    for fn in (lambda x: F.dropout(x, 0.5, True, inplace=True), lambda x: F.relu(x, inplace=True),
               lambda x: F.elu(x, inplace=True), lambda x: F.hardtanh(x, inplace=True)):
        x = nd.from_numpy(np.linspace(-1, 1, 8).astype(np.float32))
        assert fn(x) is x
