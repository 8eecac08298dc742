"""Autograd semantics: graph bookkeeping, accumulation, grad modes, hooks, double backward,
the iterative engine, memory, in-place safety and gradcheck itself."""
import gc

import numpy as np
import pytest

import nativedl as nd
from nativedl.autograd import GradcheckError, gradcheck, grad
from nativedl.nn import functional as F


def leaf(values, dtype=nd.float64):
    return nd.tensor(values, dtype=dtype, requires_grad=True)


def np_of(t):
    return t.detach().numpy()


# ------------------------------------------------------------------ graph bookkeeping
def test_leaf_and_grad_fn():
    x = leaf([1.0, 2.0])
    c = nd.tensor([3.0, 4.0], dtype=nd.float64)
    assert x.requires_grad and x.is_leaf and x.grad_fn is None and x.grad is None
    assert not c.requires_grad and c.is_leaf
    names = {"MulBackward0": x * c, "AddBackward0": x + 1, "ExpBackward0": x.exp(), "DivBackward0": x / c,
             "NegBackward0": -x, "PermuteBackward0": x.unsqueeze(0).t(), "CloneBackward0": x.clone()}
    for name, y in names.items():
        assert y.requires_grad and not y.is_leaf and y.grad_fn.name() == name
    assert (c * 2).grad_fn is None and not (c * 2).requires_grad
    # grad_fn.next_functions leads to the leaf's accumulator.
    assert (x * c).grad_fn.next_functions[0][0].name() == "AccumulateGrad"


def test_requires_grad_rules():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad_(False)
    with pytest.raises(TypeError, match="floating point"):
        nd.tensor([1, 2]).requires_grad_(True)
    y = nd.ones(3)
    assert y.requires_grad_() is y and y.requires_grad


def test_grad_accumulates_across_backwards():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(np_of(x.grad), 4 * np_of(x))
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(np_of(x.grad), [3, 3, 3])


def test_leaf_gradients_are_never_shared():
    """A leaf's .grad is its own: not another leaf's (add passes one gradient to both), nor the
    caller's gradient tensor (or a slice of it), nor a retained non-leaf gradient, nor a view."""
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x + y).sum().backward()
    x.grad.add_(5)
    np.testing.assert_allclose(np_of(y.grad), [1, 1])
    g = nd.tensor([2.0, 3.0], dtype=nd.float64)
    z = leaf([1.0, 1.0])
    z.backward(g)
    z.grad.add_(1)
    np.testing.assert_allclose(g.numpy(), [2, 3])
    a = leaf([1.0, 2.0])
    b = a + 0
    b.retain_grad()
    b.backward(nd.ones(2, dtype=nd.float64))
    a.grad.mul_(3)
    np.testing.assert_allclose(np_of(b.grad), [1, 1])
    np.testing.assert_allclose(np_of(a.grad), [3, 3])
    # sum's gradient is one value expanded over x, cat's are slices of the caller's gradient.
    s = leaf([1.0, 2.0, 3.0])
    s.sum().backward()
    s.grad.add_(1)
    np.testing.assert_allclose(np_of(s.grad), [2, 2, 2])
    u, v, gc = leaf([1.0, 2.0]), leaf([3.0]), nd.tensor([4.0, 5.0, 6.0], dtype=nd.float64)
    nd.cat([u, v]).backward(gc)
    u.grad.add_(1)
    np.testing.assert_allclose(gc.numpy(), [4, 5, 6])


def test_retain_graph_and_second_backward():
    x = leaf([1.0, 2.0])
    y = (x ** 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(np_of(x.grad), 4 * np_of(x))
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_backward_non_scalar():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * 3
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    y.backward(nd.full((2, 2), 2.0, dtype=nd.float64))
    np.testing.assert_allclose(np_of(x.grad), np.full((2, 2), 6.0))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        (x * 3).backward(nd.ones(3, dtype=nd.float64))


def test_grad_function_and_allow_unused():
    a, b = leaf([1.0, 2.0]), leaf([5.0])
    out = (a * a).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        grad(out, [a, b], retain_graph=True)
    ga, gb = grad(out, [a, b], allow_unused=True)
    np.testing.assert_allclose(np_of(ga), [2.0, 4.0])
    assert gb is None and a.grad is None  # grad() leaves .grad alone
    with pytest.raises(RuntimeError, match="does not require grad"):
        grad((a * 2).sum(), [nd.ones(2)])


def test_autograd_backward_with_several_roots():
    x = leaf([1.0, 2.0])
    nd.autograd.backward([(x * 2).sum(), (x * x).sum()])
    np.testing.assert_allclose(np_of(x.grad), 2 + 2 * np_of(x))


# ------------------------------------------------------------------ grad modes
def test_grad_mode_context_managers():
    x = leaf([1.0])
    with nd.no_grad():
        assert not nd.is_grad_enabled() and not (x * 2).requires_grad
        with nd.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert nd.is_grad_enabled()
    with nd.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert nd.is_grad_enabled()
    nd.set_grad_enabled(False)  # a plain call switches the mode, as in PyTorch
    assert not nd.is_grad_enabled()
    nd.set_grad_enabled(True)
    with pytest.raises(KeyError):
        with nd.no_grad():
            raise KeyError  # the mode is restored on the way out
    assert nd.is_grad_enabled()


def test_grad_mode_decorators():
    x = leaf([1.0])

    @nd.no_grad()
    def f(t):
        return t * 2

    @nd.enable_grad()
    def g(t):
        return t * 2

    @nd.set_grad_enabled(False)
    def h(t):
        return t * 2

    assert not f(x).requires_grad and not h(x).requires_grad and nd.is_grad_enabled()
    with nd.no_grad():
        assert g(x).requires_grad
    assert f.__name__ == "f"


def test_detach():
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.data_ptr() == y.data_ptr()
    d[0] = 10.0  # shares memory with y
    assert y[0].item() == 10.0
    assert y.detach_() is y
    assert not y.requires_grad and y.is_leaf


# ------------------------------------------------------------------ hooks
def test_register_hook_and_remove():
    x = leaf([1.0, 2.0])
    seen = []
    h = x.register_hook(lambda g: g * 2)
    (x * 3).sum().backward()
    np.testing.assert_allclose(np_of(x.grad), [6.0, 6.0])
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(np_of(x.grad), [3.0, 3.0])
    # A hook on an intermediate sees (and may replace) the gradient flowing through it.
    x.grad = None
    y = x * x
    y.register_hook(lambda g: seen.append(np_of(g).copy()))
    y.register_hook(lambda g: g + 1)
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(np_of(x.grad), 2 * 2 * np_of(x))
    with pytest.raises(RuntimeError, match="doesn't require"):
        nd.ones(2).register_hook(lambda g: g)


def test_retain_grad():
    x = leaf([1.0, 2.0])
    y, z = x * 2, x * 3
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad
    (y * y + z).sum().backward()
    np.testing.assert_allclose(np_of(y.grad), 2 * np_of(y))
    assert z.grad is None
    # .grad of a retained tensor sees the gradient after its hooks, whatever the order (as PyTorch).
    x.grad = None
    h = x * 1
    h.retain_grad()
    h.register_hook(lambda g: g * 10)
    (h * 2).sum().backward()
    np.testing.assert_allclose(np_of(h.grad), [20.0, 20.0])
    np.testing.assert_allclose(np_of(x.grad), [20.0, 20.0])


def test_fresh_gradient_becomes_grad_without_a_copy():
    """As PyTorch: a gradient nothing else refers to is stored as .grad itself."""
    w = nd.ones(4, 3, requires_grad=True)
    seen = []
    w.register_hook(lambda g: seen.append(g.data_ptr()))
    (nd.ones(5, 4) @ w).sum().backward()
    assert seen[0] == w.grad.data_ptr()
    np.testing.assert_allclose(np_of(w.grad), np.full((4, 3), 5.0))


@pytest.mark.parametrize("make", [
    lambda a, b: a + b,                              # one gradient tensor handed to both leaves
    lambda a, b: a + b.view(3),                      # and a view of it
    lambda a, b: nd.cat([a, b.view(3)]).view(2, 3).sum(0),  # disjoint views of one buffer
], ids=["shared", "view", "cat"])
def test_leaves_never_share_gradient_memory(make):
    a, b = nd.ones(3, requires_grad=True), nd.ones(1, 3, requires_grad=True)
    (make(a, b) * nd.tensor([1.0, 2.0, 3.0])).sum().backward()
    a.grad.mul_(10)  # what clip_grad_norm_ does: must not reach b.grad
    np.testing.assert_allclose(np_of(a.grad), [10.0, 20.0, 30.0])
    np.testing.assert_allclose(np_of(b.grad), [[1.0, 2.0, 3.0]])


def test_user_gradient_is_copied_into_grad():
    g, a = nd.ones(3), nd.ones(3, requires_grad=True)
    a.backward(g)
    g.mul_(5)
    np.testing.assert_allclose(np_of(a.grad), [1.0, 1.0, 1.0])


# ------------------------------------------------------------------ double backward
def test_second_derivative_of_cube():
    x = leaf([0.5, -1.5, 2.0])
    (g,) = grad((x ** 3).sum(), [x], create_graph=True)
    np.testing.assert_allclose(np_of(g), 3 * np_of(x) ** 2)
    (gg,) = grad(g.sum(), [x])
    np.testing.assert_allclose(np_of(gg), 6 * np_of(x))


def test_second_derivative_of_tanh():
    x = leaf([0.3, -1.2, 0.8])
    (g,) = grad(x.tanh().sum(), [x], create_graph=True)
    g.sum().backward()
    t = np.tanh(np_of(x))
    np.testing.assert_allclose(np_of(x.grad), -2 * t * (1 - t ** 2), rtol=1e-12)


def _linear(x, w, b):
    """x @ w + b with elementwise ops and a sum over the contracted dim."""
    return (x.unsqueeze(2) * w).sum(1) + b


def _gradient_penalty(x, w1, b1, w2, b2):
    xr = x.detach().requires_grad_(True)
    d = _linear(_linear(xr, w1, b1).tanh(), w2, b2)
    (gx,) = grad(d.sum(), [xr], create_graph=True)
    return ((gx.pow(2).sum(1).sqrt() - 1) ** 2).mean()


def test_wgan_gp_gradient_penalty_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = nd.from_numpy(rng.normal(size=(5, 3)))
    params = [nd.from_numpy(rng.normal(size=s)).requires_grad_() for s in [(3, 4), (4,), (4, 1), (1,)]]
    gp = _gradient_penalty(x, *params)
    gp.backward()
    eps = 1e-6
    for p in (params[0], params[2], params[1]):  # b2 does not affect the gradient wrt x
        data = p.detach().numpy()
        numeric = np.zeros(data.size)
        for k in range(data.size):
            orig = data.flat[k]
            data.flat[k] = orig + eps
            plus = _gradient_penalty(x, *params).item()
            data.flat[k] = orig - eps
            minus = _gradient_penalty(x, *params).item()
            data.flat[k] = orig
            numeric[k] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(np_of(p.grad).ravel(), numeric, rtol=1e-5, atol=1e-8)
    assert params[3].grad is None  # gx does not depend on the last bias: it is not in the graph


# ------------------------------------------------------------------ the engine at scale
def test_backward_through_100k_op_chain():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 100_000, rtol=1e-9)


def test_dropping_100k_op_graph_without_backward():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y + 1.0
    del y
    gc.collect()
    assert x.grad is None


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_training_loop_memory_is_flat():
    rng = np.random.default_rng(0)
    x = nd.from_numpy(rng.normal(size=(16, 8)).astype(np.float32))
    target = nd.from_numpy(rng.normal(size=(16, 1)).astype(np.float32))
    w1, b1 = nd.randn(8, 16, requires_grad=True), nd.zeros(16, requires_grad=True)
    w2, b2 = nd.randn(16, 1, requires_grad=True), nd.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]

    def step():
        loss = ((_linear(_linear(x, w1, b1).relu(), w2, b2) - target) ** 2).mean()
        loss.backward()
        with nd.no_grad():
            for p in params:
                p -= 1e-3 * p.grad
                p.grad = None
        return loss.item()

    first = [step() for _ in range(100)][0]
    before = _rss_bytes()
    for _ in range(1000):
        last = step()
    grown = _rss_bytes() - before
    assert last < first
    # Keeping each step's graph alive (retain_graph=True, loss kept) measures about 12 MiB here.
    assert grown < 4 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 1000 steps"


# ------------------------------------------------------------------ in-place safety
def test_inplace_on_saved_tensor_raises_at_backward():
    x = leaf([1.0, 2.0])
    b = x * 2
    c = b * b  # saves b
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()
    y = x.exp()  # saves its output
    z = y * 1
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        (y.sum() + z.sum()).backward()


def test_inplace_on_leaf_requiring_grad():
    x = leaf([1.0, 2.0])
    for op in (lambda t: t.add_(1), lambda t: t.exp_(), lambda t: t.zero_(), lambda t: t.clamp_(min=0)):
        with pytest.raises(RuntimeError, match="leaf"):
            op(x)
    with nd.no_grad():
        x.add_(1)
    np.testing.assert_allclose(np_of(x), [2.0, 3.0])


def test_inplace_on_non_leaf_is_differentiable():
    x = leaf([1.0, 2.0])
    y = x * 1
    y.mul_(3)
    y.add_(x)
    y.sum().backward()
    np.testing.assert_allclose(np_of(x.grad), [4.0, 4.0])


INPLACE_FROM_OUTPUT = [  # (in-place, out-of-place): the in-place kernel writes self and the backward reads it
    (lambda t: t.relu_(), lambda t: t.relu()),
    (lambda t: t.sigmoid_(), lambda t: t.sigmoid()),
    (lambda t: t.exp_(), lambda t: t.exp()),
    (lambda t: F.relu6(t, inplace=True), F.relu6),
    (lambda t: F.hardtanh(t, -0.5, 0.7, inplace=True), lambda t: F.hardtanh(t, -0.5, 0.7)),
]


@pytest.mark.parametrize("inplace,outplace", INPLACE_FROM_OUTPUT)
def test_inplace_from_output_matches_out_of_place(inplace, outplace):
    a = np.random.default_rng(0).uniform(-8, 8, size=(3, 4))
    a[0, :2] = [0.0, 6.0]  # on the bounds: gradient 0, as out of place

    def grads(fn, create_graph):
        x = leaf(a)
        y = x * 1.5
        out = fn(y)
        g, = nd.autograd.grad((out * out).sum(), [x], create_graph=create_graph)
        if create_graph:
            g.sum().backward()
        return np_of(out), np_of(g), None if x.grad is None else np_of(x.grad)

    for create_graph in (False, True):
        for got, want in zip(grads(inplace, create_graph), grads(outplace, create_graph)):
            assert (got is None) == (want is None)
            if got is not None:
                np.testing.assert_allclose(got, want, rtol=1e-12)
    assert gradcheck(lambda t: inplace(t * 1), [leaf(a[1:])])  # away from the kinks


def test_inplace_from_output_keeps_no_copy_and_checks_versions():
    x = leaf(np.linspace(-8, 8, 12))
    y = x * 1
    assert y.relu_() is y and y.grad_fn.name() == "ReluBackward0"
    assert [f.name() for f, _ in y.grad_fn.next_functions] == ["MulBackward0"]  # no clone, no copy node
    y.add_(1)  # overwrites the output relu's backward reads (PyTorch raises too)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_hardtanh_inplace_backward_survives_later_writes():
    a = np.linspace(-8, 8, 12)
    x = leaf(a)
    y = x * 1
    F.relu6(y, inplace=True)
    y.add_(1)  # PyTorch's hardtanh_ keeps its own copy of what its backward reads: no error
    y.sum().backward()
    np.testing.assert_array_equal(np_of(x.grad), (a > 0) & (a < 6))


def test_inplace_from_output_on_a_view():
    a = np.random.default_rng(1).uniform(-3, 9, size=(4, 3))
    x = leaf(a)
    b = x * 1
    F.relu6(b[1:3], inplace=True)
    b[:, 0].sigmoid_()
    (b * b).sum().backward()
    want = a.copy()
    want[1:3] = np.clip(want[1:3], 0, 6)
    mask = np.ones_like(a)
    mask[1:3] = (a[1:3] > 0) & (a[1:3] < 6)
    s = 1 / (1 + np.exp(-want[:, 0]))
    mask[:, 0] *= s * (1 - s)
    want[:, 0] = s
    np.testing.assert_allclose(np_of(x.grad), 2 * want * mask, rtol=1e-12)
    b = leaf(a) * 1
    b[1:3].relu_()
    b[:, 0].add_(1)  # writes storage that relu's backward reads: an error, as in PyTorch
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


# ------------------------------------------------------------------ gradcheck itself
def test_gradcheck_accepts_correct_and_rejects_wrong_gradients():
    x = leaf(np.random.default_rng(0).uniform(0.5, 2, size=(3,)))
    assert gradcheck(lambda t: (t * t.exp()).sum(), [x]) is True
    wrong = lambda t: t * t.detach()  # noqa: E731  (the detached factor hides half the derivative)
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(wrong, [x])
    assert gradcheck(wrong, [x], raise_exception=False) is False
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda t: t * 2, [nd.ones(2, requires_grad=True)])
