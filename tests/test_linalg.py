"""Matrix products beyond the op table: GEMM paths and layouts, operators, errors, double backward."""
import numpy as np
import pytest

import nativedl as nd
from nativedl.autograd import gradcheck

RNG = np.random.default_rng(0)


def _rand(*shape, dtype=np.float64):
    return RNG.uniform(-1, 1, size=shape).astype(dtype)


def _layouts(a):
    """a as contiguous, transposed-storage (column-major) and column-strided nativedl tensors."""
    wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    wide[..., ::2] = a
    return [nd.from_numpy(a.copy()), nd.from_numpy(np.ascontiguousarray(a.T)).T, nd.from_numpy(wide)[..., ::2]]


# Sizes that cross the unpacked/packed boundary, partial MR/NR tiles, several KC blocks
# (k > 256), several MC blocks (m > 144), and B read in place for few rows of A (Note [Unpacked
# B]: whole panels plus a packed partial one).
@pytest.mark.parametrize("m,n,k", [(1, 300, 257), (300, 1, 257), (5, 7, 9), (33, 17, 65), (150, 97, 520), (301, 260, 300),
                                   (16, 70, 300), (6, 1000, 25), (12, 64, 600), (64, 100, 300), (65, 70, 40)])
@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
def test_gemm_shapes_and_layouts(m, n, k, dtype, tol):
    a, b = _rand(m, k, dtype=dtype), _rand(k, n, dtype=dtype)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    scale = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    for ta in _layouts(a):
        for tb in _layouts(b):
            got = nd.mm(ta, tb).numpy().astype(np.float64)
            assert np.all(np.abs(got - expected) <= tol * scale + 1e-30), (ta.stride(), tb.stride())


def test_results_do_not_depend_on_thread_count():
    a, b = _rand(400, 300, dtype=np.float32), _rand(300, 500, dtype=np.float32)
    old = nd.get_num_threads()
    try:
        nd.set_num_threads(1)
        one = nd.mm(nd.from_numpy(a), nd.from_numpy(b)).numpy()
        nd.set_num_threads(2)
        two = nd.mm(nd.from_numpy(a), nd.from_numpy(b)).numpy()
    finally:
        nd.set_num_threads(old)
    np.testing.assert_array_equal(one, two)


def test_addmm_beta_zero_ignores_nan_input():
    inp = nd.full((2, 3), float("nan"))
    a, b = nd.ones(2, 4), nd.ones(4, 3)
    np.testing.assert_array_equal(nd.addmm(inp, a, b, beta=0).numpy(), np.full((2, 3), 4.0, np.float32))


def test_integer_products_are_exact():
    a = RNG.integers(-1000, 1000, size=(20, 30))
    b = RNG.integers(-1000, 1000, size=(30, 10))
    np.testing.assert_array_equal(nd.matmul(nd.from_numpy(a), nd.from_numpy(b)).numpy(), a @ b)
    out = nd.addmm(nd.from_numpy(a[:, :10].copy()), nd.from_numpy(a), nd.from_numpy(b), beta=2, alpha=3)
    np.testing.assert_array_equal(out.numpy(), 2 * a[:, :10] + 3 * (a @ b))


def test_methods_and_operators():
    a, b, v = _rand(3, 4), _rand(4, 2), _rand(4)
    ta, tb, tv = nd.from_numpy(a), nd.from_numpy(b), nd.from_numpy(v)
    np.testing.assert_allclose((ta @ tb).numpy(), a @ b)
    c = _rand(2, 3)
    np.testing.assert_allclose(ta.__rmatmul__(nd.from_numpy(c)).numpy(), c @ a)
    np.testing.assert_allclose(ta.matmul(tb).numpy(), a @ b)
    np.testing.assert_allclose(ta.mm(tb).numpy(), a @ b)
    np.testing.assert_allclose(ta.mv(tv).numpy(), a @ v)
    np.testing.assert_allclose(tv.dot(tv).numpy(), v @ v)
    np.testing.assert_allclose(ta.unsqueeze(0).bmm(tb.unsqueeze(0)).numpy(), (a @ b)[None])
    np.testing.assert_allclose(nd.zeros(3, 2, dtype=nd.float64).addmm(ta, tb, alpha=2).numpy(), 2 * (a @ b))
    bb = nd.zeros(1, 3, 2, dtype=nd.float64).baddbmm(ta.unsqueeze(0), tb.unsqueeze(0), beta=0.5)
    np.testing.assert_allclose(bb.numpy(), (a @ b)[None])
    np.testing.assert_allclose(nd.einsum("ij,jk->ik", [ta, tb]).numpy(), a @ b)
    assert (ta @ tb).grad_fn is None


def test_grad_fn_names_and_double_backward():
    a = nd.from_numpy(_rand(3, 4)).requires_grad_(True)
    b = nd.from_numpy(_rand(4, 2)).requires_grad_(True)
    assert nd.mm(a, b).grad_fn.name() == "MmBackward0"
    assert nd.addmm(nd.zeros(3, 2, dtype=nd.float64), a, b).grad_fn.name() == "AddmmBackward0"

    # Double backward: h(y) = sum(d/dx sum((x @ y)^2)) differentiated again w.r.t. y.
    (gx,) = nd.autograd.grad([(nd.mm(a, b) ** 2).sum()], [a], create_graph=True)
    (gy,) = nd.autograd.grad([gx.sum()], [b])
    x, y = a.detach().numpy(), b.detach().numpy()

    def h(y):
        return (2 * (x @ y) @ y.T).sum()
    numeric = np.zeros_like(y)
    for idx in np.ndindex(*y.shape):
        d = np.zeros_like(y)
        d[idx] = 1e-6
        numeric[idx] = (h(y + d) - h(y - d)) / 2e-6
    np.testing.assert_allclose(gy.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_einsum_grad_through_diagonal_and_broadcast():
    x = nd.from_numpy(_rand(2, 3, 3)).requires_grad_(True)
    y = nd.from_numpy(_rand(3, 1)).requires_grad_(True)
    assert gradcheck(lambda x, y: nd.einsum("bii,ij->bj", x, y), [x, y])


@pytest.mark.parametrize("fn,args,match", [
    (nd.matmul, ((2, 3), (4, 5)), r"\[matmul\] shapes \(2, 3\) and \(4, 5\) cannot be multiplied: inner dimensions 3 and 4"),
    (nd.matmul, ((2, 5, 3), (4,)), r"\[matmul\] shapes \(2, 5, 3\) and \(4,\).*inner dimensions 3 and 4"),
    (nd.matmul, ((2, 4, 3), (3, 3, 5)), r"\[matmul\] shapes \(2,\) and \(3,\) cannot be broadcast"),
    (nd.matmul, ((), (3,)), r"\[matmul\] both arguments need to be at least 1D, but they are 0D and 1D"),
    (nd.mm, ((2, 3), (3,)), r"\[mm\] mat2 must be a 2D tensor, got 1D of shape \(3,\)"),
    (nd.mm, ((2, 3), (4, 5)), r"\[mm\] shapes \(2, 3\) and \(4, 5\).*inner dimensions 3 and 4"),
    (nd.bmm, ((2, 3, 4), (3, 4, 5)), r"\[bmm\] batch1 and batch2 must have the same batch size, got \(2, 3, 4\) and \(3, 4, 5\)"),
    (nd.bmm, ((2, 3), (2, 3, 4)), r"\[bmm\] batch1 must be a 3D tensor"),
    (nd.mv, ((2, 3), (4,)), r"\[mv\] shapes \(2, 3\) and \(4,\).*inner dimensions 3 and 4"),
    (nd.dot, ((3,), (4,)), r"\[dot\] input and tensor must have the same number of elements, got \(3,\) and \(4,\)"),
    (nd.dot, ((3, 1), (3,)), r"\[dot\] input must be a 1D tensor"),
    (nd.outer, ((3, 1), (3,)), r"\[outer\] input must be a 1D tensor"),
])
def test_shape_errors(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*[nd.zeros(s) for s in args])


def test_addmm_input_and_dtype_errors():
    with pytest.raises(ValueError, match=r"\[addmm\] input of shape \(3, 3\) can't be broadcast to the product's shape \(2, 4\)"):
        nd.addmm(nd.zeros(3, 3), nd.zeros(2, 3), nd.zeros(3, 4))
    with pytest.raises(TypeError, match=r"\[mm\] expected both operands to have the same dtype, got float32 and float64"):
        nd.mm(nd.zeros(2, 3), nd.zeros(3, 4, dtype=nd.float64))
    with pytest.raises(TypeError, match=r"\[matmul\] is not implemented for bool"):
        nd.matmul(nd.zeros(2, 3, dtype=nd.bool), nd.zeros(3, 4, dtype=nd.bool))
    with pytest.raises(TypeError, match=r"\[addmm\] beta and alpha must be integers for int64"):
        nd.addmm(nd.zeros(2, 4, dtype=nd.int64), nd.zeros(2, 3, dtype=nd.int64), nd.zeros(3, 4, dtype=nd.int64), beta=0.5)


@pytest.mark.parametrize("eq,shapes,match", [
    ("ij,jk->ik", [(2, 3)], r"has 2 operand subscripts but 1 operands were given"),
    ("ij->i", [(2, 3, 4)], r"operand 0 has 3 dims \(shape \(2, 3, 4\)\) but its subscripts 'ij' name 2"),
    ("ijk...->i", [(2, 3)], r"operand 0 has 2 dims"),
    ("ij,jk->ik", [(2, 3), (4, 5)], r"subscript 'j' has size 4 in operand 1"),
    ("ii->i", [(2, 3)], r"subscript 'i' is repeated for operand 0 of shape \(2, 3\) but the sizes don't match, 2 != 3"),
    ("ij->k", [(2, 3)], r"output subscript 'k' does not appear in the inputs"),
    ("ij->ii", [(2, 2)], r"output subscript 'i' appears more than once"),
    ("i1->i", [(2, 2)], r"invalid subscript '1'"),
    ("i..j->ij", [(2, 2)], r"invalid ellipsis"),
    ("ij->i->j", [(2, 2)], r"more than one '->'"),
])
def test_einsum_errors(eq, shapes, match):
    with pytest.raises(ValueError, match=r"\[einsum\] .*" + match):
        nd.einsum(eq, *[nd.zeros(s) for s in shapes])


def test_tensordot_errors():
    with pytest.raises(ValueError, match=r"\[tensordot\] contracted dimensions need to match"):
        nd.tensordot(nd.zeros(2, 3), nd.zeros(4, 5), dims=1)
    with pytest.raises(ValueError, match=r"\[tensordot\] both dim lists should have the same length"):
        nd.tensordot(nd.zeros(2, 3), nd.zeros(3, 2), dims=([0, 1], [1]))
    with pytest.raises(ValueError, match=r"\[tensordot\] dims must be between 0 and 2"):
        nd.tensordot(nd.zeros(2, 3), nd.zeros(3, 2), dims=3)
