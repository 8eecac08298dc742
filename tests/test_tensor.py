"""The Tensor object: creation defaults, random generators, type promotion, repr, Python
protocol methods, views and storage sharing, copies and casts, basic indexing."""
import math

import numpy as np
import pytest

import nativedl as nd


@pytest.fixture
def default_float64():
    nd.set_default_dtype(nd.float64)
    yield
    nd.set_default_dtype(nd.float32)


# ------------------------------------------------------------------ creation defaults (as PyTorch)
@pytest.mark.parametrize("make,shape,dtype", [
    (lambda: nd.zeros(2, 3), (2, 3), nd.float32),
    (lambda: nd.ones((4,)), (4,), nd.float32),
    (lambda: nd.empty(0, 2), (0, 2), nd.float32),
    (lambda: nd.zeros(()), (), nd.float32),
    (lambda: nd.arange(5), (5,), nd.int64),
    (lambda: nd.arange(0.0, 1.0, 0.25), (4,), nd.float32),
    (lambda: nd.arange(1, 2.5, 0.5), (3,), nd.float32),
    (lambda: nd.arange(10, 0, -3), (4,), nd.int64),
    (lambda: nd.linspace(0, 1, 5), (5,), nd.float32),
    (lambda: nd.eye(3), (3, 3), nd.float32),
    (lambda: nd.eye(2, 5, dtype=nd.int64), (2, 5), nd.int64),
    (lambda: nd.full((2,), 3), (2,), nd.int64),
    (lambda: nd.full((2,), 1.5), (2,), nd.float32),
    (lambda: nd.full((2,), True), (2,), nd.bool),
    (lambda: nd.zeros_like(nd.arange(3, dtype=nd.int32)), (3,), nd.int32),
    (lambda: nd.ones_like(nd.zeros(2), dtype=nd.float64), (2,), nd.float64),
    (lambda: nd.tensor([1, 2]), (2,), nd.int64),
    (lambda: nd.tensor([1.0, 2]), (2,), nd.float32),
    (lambda: nd.tensor([[True], [False]]), (2, 1), nd.bool),
    (lambda: nd.tensor(np.zeros(3)), (3,), nd.float64),
    (lambda: nd.tensor(np.zeros(3, np.int32)), (3,), nd.int32),
    (lambda: nd.tensor(2.5), (), nd.float32),
    (lambda: nd.rand(2, 3), (2, 3), nd.float32),
    (lambda: nd.randn(4, dtype=nd.float64), (4,), nd.float64),
    (lambda: nd.randint(0, 5, (3, 2)), (3, 2), nd.int64),
    (lambda: nd.randint(7, (4,)), (4,), nd.int64),
    (lambda: nd.randperm(6), (6,), nd.int64),
])
def test_creation_shape_and_dtype(make, shape, dtype):
    t = make()
    assert tuple(t.shape) == shape and t.dtype == dtype and t.is_contiguous() and not t.requires_grad


def test_creation_values():
    lin = nd.linspace(-1, 1, 7)
    assert lin[0].item() == -1.0 and lin[-1].item() == 1.0 and lin[3].item() == 0.0
    np.testing.assert_array_equal(nd.eye(2, 3).numpy(), np.eye(2, 3))
    np.testing.assert_array_equal(nd.arange(10, 0, -3).numpy(), [10, 7, 4, 1])
    assert nd.zeros(2, requires_grad=True).requires_grad and nd.ones(2, requires_grad=True).is_leaf


def test_default_dtype(default_float64):
    assert nd.get_default_dtype() == nd.float64
    assert nd.zeros(2).dtype == nd.float64 and nd.tensor([1.5]).dtype == nd.float64
    assert (nd.tensor([1, 2]) / 2).dtype == nd.float64 and (nd.tensor([1]) + 0.5).dtype == nd.float64
    with pytest.raises(TypeError, match="set_default_dtype"):
        nd.set_default_dtype(nd.int64)


@pytest.mark.parametrize("bad", [lambda: nd.zeros(-1), lambda: nd.arange(0, 5, 0), lambda: nd.arange(5, 0, 1),
                                 lambda: nd.linspace(0, 1, -1), lambda: nd.eye(-2), lambda: nd.randint(5, 5, (2,)),
                                 lambda: nd.randperm(-1)])
def test_creation_bad_arguments(bad):
    with pytest.raises(ValueError):
        bad()


def test_rand_requires_float_dtype():
    with pytest.raises(TypeError, match="rand"):
        nd.rand(3, dtype=nd.int64)


# ------------------------------------------------------------------ random numbers
def _draws():
    return [nd.rand(1000).numpy(), nd.randn(1000, dtype=nd.float64).numpy(), nd.randint(0, 10, (1000,)).numpy(),
            nd.randperm(500).numpy(), nd.rand(3, dtype=nd.float64).numpy()]


def test_manual_seed_determinism():
    nd.manual_seed(1234)
    a = _draws()
    nd.manual_seed(1234)
    b = _draws()
    nd.manual_seed(4321)
    c = _draws()
    for x, y, z in zip(a, b, c):
        np.testing.assert_array_equal(x, y)
        assert not np.array_equal(x, z)
    assert not np.array_equal(a[0], nd.rand(1000).numpy())  # the generator advances


def test_generator_objects():
    g = nd.Generator().manual_seed(7)
    x = nd.rand(50, generator=g).numpy()
    state = g.get_state()
    y = nd.randn(50, generator=g).numpy()
    g.set_state(state)
    np.testing.assert_array_equal(nd.randn(50, generator=g).numpy(), y)
    nd.manual_seed(0)
    d0 = nd.rand(5).numpy()
    nd.manual_seed(0)
    g.manual_seed(7)
    np.testing.assert_array_equal(nd.rand(50, generator=g).numpy(), x)  # the default generator is untouched
    np.testing.assert_array_equal(nd.rand(5).numpy(), d0)


def test_random_numbers_do_not_depend_on_thread_count():
    saved = nd.get_num_threads()
    try:
        out = []
        for threads in (1, 2):
            nd.set_num_threads(threads)
            nd.manual_seed(99)
            out.append([f().numpy() for f in (lambda: nd.rand(300_001), lambda: nd.randn(300_001),
                                               lambda: nd.randint(-5, 5, (300_001,)), lambda: nd.randperm(10_000))])
        for a, b in zip(*out):
            np.testing.assert_array_equal(a, b)
    finally:
        nd.set_num_threads(saved)


def _ks_statistic(samples, cdf):
    s = np.sort(samples)
    n = s.size
    f = cdf(s)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


@pytest.mark.parametrize("dtype", [nd.float32, nd.float64])
def test_rand_and_randn_statistics(dtype):
    nd.manual_seed(2024)
    n = 200_000
    u = nd.rand(n, dtype=dtype).numpy().astype(np.float64)
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(1 / 12 / n) and abs(u.var() - 1 / 12) < 0.002
    assert _ks_statistic(u, lambda v: v) < 1.95 / math.sqrt(n)  # Kolmogorov-Smirnov, 0.1% level
    z = nd.randn(n, dtype=dtype).numpy().astype(np.float64)
    assert abs(z.mean()) < 5 / math.sqrt(n) and abs(z.std() - 1) < 0.01
    phi = np.vectorize(lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))))
    assert _ks_statistic(z, phi) < 1.95 / math.sqrt(n)
    assert np.isfinite(z).all()


def test_randint_and_randperm():
    nd.manual_seed(5)
    r = nd.randint(-3, 4, (70_000,)).numpy()
    counts = np.bincount(r + 3, minlength=7)
    assert r.min() == -3 and r.max() == 3
    chi2 = ((counts - 10_000) ** 2 / 10_000).sum()
    assert chi2 < 22.5  # chi-square, 6 degrees of freedom, 0.1% level
    for n in (0, 1, 2, 1000):
        p = nd.randperm(n).numpy()
        np.testing.assert_array_equal(np.sort(p), np.arange(n))
    assert nd.randperm(5, dtype=nd.int32).dtype == nd.int32
    assert not np.array_equal(nd.randperm(1000).numpy(), np.arange(1000))


# ------------------------------------------------------------------ type promotion (PyTorch's rules)
I32, I64 = nd.tensor([1, 2], dtype=nd.int32), nd.tensor([1, 2])
F32, F64 = nd.tensor([1.0, 2.0]), nd.tensor([1.0, 2.0], dtype=nd.float64)
U8, B = nd.tensor([1, 2], dtype=nd.uint8), nd.tensor([True, False])


@pytest.mark.parametrize("expr,dtype", [
    (lambda: I32 + I64, nd.int64), (lambda: U8 + B, nd.uint8), (lambda: B + B, nd.bool), (lambda: U8 + I32, nd.int32),
    (lambda: I64 + F32, nd.float32), (lambda: F32 + F64, nd.float64), (lambda: I32 + 2.5, nd.float32),
    (lambda: F32 + nd.tensor(1.0, dtype=nd.float64), nd.float32), (lambda: I32 + nd.tensor(7), nd.int32),
    (lambda: I32 + nd.tensor(1.5, dtype=nd.float64), nd.float64), (lambda: U8 + 300, nd.uint8),
    (lambda: B + 1, nd.int64), (lambda: B * 1.5, nd.float32), (lambda: B + B.to(nd.int32), nd.int32),
    (lambda: I32 / I32, nd.float32), (lambda: I64 // I64, nd.int64), (lambda: I32 ** 2, nd.int32),
    (lambda: I32 % 3, nd.int32), (lambda: F64 * I64, nd.float64), (lambda: I64 < 1.5, nd.bool),
    (lambda: nd.atan2(I64, I64), nd.float32), (lambda: nd.maximum(U8, I64), nd.int64), (lambda: I32.exp(), nd.float32),
    (lambda: I32.abs(), nd.int32), (lambda: nd.where(B, I32, 1.0), nd.float32), (lambda: nd.where(B, F64, F32), nd.float64),
    (lambda: nd.clamp(I64, 0.5), nd.float32), (lambda: nd.tensor(1) + nd.tensor(1.0, dtype=nd.float64), nd.float64),
])
def test_result_dtypes(expr, dtype):
    assert expr().dtype == dtype


def test_promote_types_and_result_type():
    assert nd.promote_types(nd.int32, nd.float32) == nd.float32
    assert nd.promote_types(nd.bool, nd.uint8) == nd.uint8
    assert nd.promote_types(nd.int64, nd.int32) == nd.int64
    assert nd.result_type(I32, 1.0) == nd.float32 and nd.result_type(I32, 5) == nd.int32
    assert nd.result_type(F32, F64) == nd.float64 and nd.result_type(3, 4.0) == nd.float32


# ------------------------------------------------------------------ repr and Python protocols
@pytest.mark.parametrize("t,text", [
    (lambda: nd.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: nd.tensor([1.5, 2.25]), "tensor([1.5000, 2.2500])"),
    (lambda: nd.tensor([1, 2, 3]), "tensor([1, 2, 3])"),
    (lambda: nd.tensor([1, 2], dtype=nd.int32), "tensor([1, 2], dtype=nativedl.int32)"),
    (lambda: nd.tensor([1.0], dtype=nd.float64), "tensor([1.], dtype=nativedl.float64)"),
    (lambda: nd.tensor(3.0), "tensor(3.)"),
    (lambda: nd.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
    (lambda: nd.tensor([1e-5, 1e3]), "tensor([1.0000e-05, 1.0000e+03])"),
    (lambda: nd.zeros(0), "tensor([])"),
    (lambda: nd.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: nd.tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda: nd.tensor([1.0, 2.0], requires_grad=True) * 2, "tensor([2., 4.], grad_fn=<MulBackward0>)"),
    (lambda: nd.tensor([float("nan"), float("inf")]), "tensor([nan, inf])"),
    (lambda: nd.tensor([True, False]), "tensor([ True, False])"),
    (lambda: nd.tensor([[True], [True]]), "tensor([[True],\n        [True]])"),
])
def test_repr(t, text):
    assert repr(t()) == text and str(t()) == text


def test_dtype_and_size_repr():
    assert repr(nd.float32) == "nativedl.float32" and str(nd.int64) == "nativedl.int64"
    assert repr(nd.zeros(2, 3).shape) == "nativedl.Size([2, 3])" and nd.zeros(2, 3).shape == (2, 3)
    assert nd.zeros(2, 3).size(1) == 3 and nd.zeros(2, 3).size(-2) == 2 and nd.zeros(2, 3).size() == (2, 3)
    assert nd.float32.is_floating_point and not nd.int32.is_floating_point and nd.float64.itemsize == 8


def test_python_protocols():
    f, i, b = nd.tensor(3.5), nd.tensor(7), nd.tensor(True)
    assert type(f.item()) is float and f.item() == 3.5 and type(i.item()) is int and b.item() is True
    assert float(i) == 7.0 and int(f) == 3 and [10, 11, 12, 13, 14, 15, 16, 17][i] == 17
    m = nd.tensor([[1, 2], [3, 4]])
    assert m.tolist() == [[1, 2], [3, 4]] and f.tolist() == 3.5 and len(m) == 2
    assert [r.tolist() for r in m] == [[1, 2], [3, 4]]
    assert bool(nd.tensor([0.5])) and not bool(nd.tensor([0])) and not bool(nd.zeros(()))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(m)
    with pytest.raises(TypeError):
        len(f)
    with pytest.raises(TypeError):
        iter(f)
    with pytest.raises(ValueError, match="item"):
        m.item()
    assert m.dim() == m.ndim == 2 and m.numel() == 4 and m.element_size() == 8 and m.stride() == (2, 1)


# ------------------------------------------------------------------ views, storage, versions
def test_views_share_storage_and_version_counter():
    a = nd.arange(12.0).reshape(3, 4)
    views = [a.view(4, 3), a[1], a.t(), a[:, ::2], a.unsqueeze(0), a.narrow(1, 1, 2), a.diagonal(), a.expand(2, 3, 4)]
    for v in views:
        assert v._base_storage_id == a._base_storage_id
    a.t()[2, 1] = 100.0  # writes a[1, 2]
    assert a[1, 2].item() == 100.0
    a[:, ::2].fill_(-1.0)
    np.testing.assert_array_equal(a.numpy()[:, 0], [-1, -1, -1])
    v0 = a._version
    a[1].add_(1)
    assert a._version > v0 and a[1]._version == a._version and views[2]._version == a._version
    assert a.detach()._version == a._version


def test_reshape_copies_only_when_needed():
    a = nd.arange(12.0).reshape(3, 4)
    assert a.reshape(2, 6)._base_storage_id == a._base_storage_id
    t = a.t()
    r = t.reshape(12)
    assert r._base_storage_id != a._base_storage_id
    np.testing.assert_array_equal(r.numpy(), np.arange(12.0).reshape(3, 4).T.ravel())
    with pytest.raises(ValueError, match="view"):
        t.view(12)


def test_contiguous_and_clone():
    a = nd.arange(6.0).reshape(2, 3)
    assert a.contiguous() is a or a.contiguous().data_ptr() == a.data_ptr()
    t = a.t()
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.data_ptr() != a.data_ptr() and c.stride() == (2, 1)
    np.testing.assert_array_equal(c.numpy(), np.arange(6.0).reshape(2, 3).T)
    k = t.clone()
    assert k.data_ptr() != a.data_ptr()
    k[0, 0] = 50.0
    assert a[0, 0].item() == 0.0
    np.testing.assert_array_equal(t.clone().numpy(), t.numpy())


def test_to_dtype_casts():
    f = nd.tensor([1.7, -1.7, 0.0, 2.5])
    assert f.to(f.dtype) is f and f.to("cpu") is f
    np.testing.assert_array_equal(f.to(nd.int64).numpy(), [1, -1, 0, 2])
    np.testing.assert_array_equal(f.to(nd.bool).numpy(), [True, True, False, True])
    np.testing.assert_array_equal(nd.tensor([1, 0, 3]).float().numpy(), np.array([1, 0, 3], np.float32))
    assert f.double().dtype == nd.float64 and f.long().dtype == nd.int64 and f.int().dtype == nd.int32
    assert f.byte().dtype == nd.uint8 and f.bool().dtype == nd.bool and f.to(nd.zeros(1, dtype=nd.float64)).dtype == nd.float64
    assert f.to(dtype=nd.float64).dtype == nd.float64 and f.type_as(nd.tensor([1])).dtype == nd.int64
    x = nd.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(nd.float64)
    assert y.grad_fn is not None
    y.sum().backward()
    assert x.grad.dtype == nd.float32 and x.grad.tolist() == [1.0, 1.0]


# ------------------------------------------------------------------ basic indexing vs NumPy
INDICES = [1, -1, slice(1, None), slice(None, None, 2), slice(-3, -1), slice(10, 20), (Ellipsis, 1), (None, 0),
           (1, None, slice(None, 3)), (0, Ellipsis, 0), (Ellipsis, None), (slice(None), 2, slice(1, 5, 3)), (),
           (slice(None), slice(None), -2), (2, -3, 1), (slice(-100, 100, 4),)]


@pytest.mark.parametrize("index", INDICES, ids=repr)
def test_basic_index_get_and_set(index):
    base = np.arange(4 * 5 * 6, dtype=np.float64).reshape(4, 5, 6)
    t = nd.from_numpy(base.copy())
    got = t[index]
    np.testing.assert_array_equal(got.numpy() if isinstance(got, nd.Tensor) else got, base[index])
    for value in (-7.0, nd.tensor(3.5, dtype=nd.float64), np.full(np.shape(base[index])[-1:], 9.0)):
        expected, t2 = base.copy(), nd.from_numpy(base.copy())
        expected[index] = value.item() if isinstance(value, nd.Tensor) else value
        t2[index] = value
        np.testing.assert_array_equal(t2.numpy(), expected)


def test_index_set_broadcasts_and_casts():
    t = nd.zeros(2, 3, dtype=nd.int64)
    t[0] = nd.tensor([1.9, 2.1, -3.5]).to(nd.int64)
    t[1, :] = 4
    assert t.tolist() == [[1, 2, -3], [4, 4, 4]]
    b = nd.zeros(3, dtype=nd.bool)
    b[1] = True
    assert b.tolist() == [False, True, False]


def test_float32_sum_of_ten_million_is_accurate():
    x = np.random.default_rng(0).uniform(0, 1, size=10_000_000).astype(np.float32)
    exact = x.astype(np.float64).sum()
    got = nd.from_numpy(x).sum().item()
    assert abs(got - exact) / exact < 1e-6
    ones = nd.ones(10_000_000).sum().item()
    assert ones == 10_000_000
