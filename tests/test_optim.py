"""Optimizers against plain NumPy transcriptions of PyTorch's documented update rules: 30 steps with
fixed per-step gradients for each option combination, two param groups, a state_dict round trip
mid-way, skipped parameters, edited param groups, errors, and a convergence smoke test."""
import math

import numpy as np
import pytest

import nativedl as nd
from nativedl import optim

STEPS = 30
SHAPE = (5, 7)


# ---------------------------------------------------------------- NumPy references
# Each takes the parameter, the gradient, a dict of state (updated in place), the 1-based step t
# and the options, and returns the new parameter.

def _prologue(p, g, weight_decay, maximize):
    g = -g if maximize else g
    return g + weight_decay * p if weight_decay else g


def ref_sgd(p, g, st, t, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    g = _prologue(p, g, weight_decay, maximize)
    if momentum:
        st["b"] = g.copy() if t == 1 else momentum * st["b"] + (1 - dampening) * g
        g = g + momentum * st["b"] if nesterov else st["b"]
    return p - lr * g


def ref_adagrad(p, g, st, t, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                maximize=False):
    g = _prologue(p, g, weight_decay, maximize)
    clr = lr / (1 + (t - 1) * lr_decay)
    st["sum"] = st.get("sum", np.full_like(p, initial_accumulator_value)) + g * g
    return p - clr * g / (np.sqrt(st["sum"]) + eps)


def ref_adadelta(p, g, st, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    g = _prologue(p, g, weight_decay, maximize)
    v = rho * st.get("v", np.zeros_like(p)) + (1 - rho) * g * g
    u = st.get("u", np.zeros_like(p))
    dx = np.sqrt(u + eps) / np.sqrt(v + eps) * g
    st["v"], st["u"] = v, rho * u + (1 - rho) * dx * dx
    return p - lr * dx


def ref_rmsprop(p, g, st, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                maximize=False):
    g = _prologue(p, g, weight_decay, maximize)
    st["v"] = alpha * st.get("v", np.zeros_like(p)) + (1 - alpha) * g * g
    v = st["v"]
    if centered:
        st["g"] = alpha * st.get("g", np.zeros_like(p)) + (1 - alpha) * g
        v = v - st["g"] ** 2
    if momentum > 0:
        st["b"] = momentum * st.get("b", np.zeros_like(p)) + g / (np.sqrt(v) + eps)
        return p - lr * st["b"]
    return p - lr * g / (np.sqrt(v) + eps)


def _moments(p, g, st, b1, b2):
    st["m"] = b1 * st.get("m", np.zeros_like(p)) + (1 - b1) * g
    st["v"] = b2 * st.get("v", np.zeros_like(p)) + (1 - b2) * g * g
    return st["m"], st["v"]


def ref_adam(p, g, st, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas
    if decoupled:
        p = p * (1 - lr * weight_decay)
    g = _prologue(p, g, 0 if decoupled else weight_decay, maximize)
    m, v = _moments(p, g, st, b1, b2)
    if amsgrad:
        st["vmax"] = np.maximum(st.get("vmax", np.zeros_like(p)), v)
        v = st["vmax"]
    m_hat = m / (1 - b1 ** t)
    return p - lr * m_hat / (np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps)


def ref_adamw(p, g, st, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False):
    return ref_adam(p, g, st, t, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled=True)


def ref_adamax(p, g, st, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    b1, b2 = betas
    g = _prologue(p, g, weight_decay, maximize)
    st["m"] = b1 * st.get("m", np.zeros_like(p)) + (1 - b1) * g
    st["u"] = np.maximum(b2 * st.get("u", np.zeros_like(p)), np.abs(g) + eps)
    return p - lr / (1 - b1 ** t) * st["m"] / st["u"]


def ref_nadam(p, g, st, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    g = _prologue(p, g, 0 if decoupled_weight_decay else weight_decay, maximize)
    mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    # PyTorch keeps the running product of mu as a float32 tensor (state 'mu_product').
    st["mu_product"] = float(np.float32(st.get("mu_product", 1.0)) * np.float32(mu))
    m, v = _moments(p, g, st, b1, b2)
    denom = np.sqrt(v / (1 - b2 ** t)) + eps
    return (p - lr * (1 - mu) / (1 - st["mu_product"]) * g / denom
            - lr * mu_next / (1 - st["mu_product"] * mu_next) * m / denom)


def ref_radam(p, g, st, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
              maximize=False):
    b1, b2 = betas
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    g = _prologue(p, g, 0 if decoupled_weight_decay else weight_decay, maximize)
    m, v = _moments(p, g, st, b1, b2)
    m_hat = m / (1 - b1 ** t)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
    if rho_t > 5:
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return p - lr * m_hat * rect * math.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
    return p - lr * m_hat


REFS = {optim.SGD: ref_sgd, optim.Adagrad: ref_adagrad, optim.Adadelta: ref_adadelta, optim.RMSprop: ref_rmsprop,
        optim.Adam: ref_adam, optim.AdamW: ref_adamw, optim.Adamax: ref_adamax, optim.NAdam: ref_nadam,
        optim.RAdam: ref_radam}

CONFIGS = [
    (optim.SGD, dict(lr=0.1)),
    (optim.SGD, dict(lr=0.05, momentum=0.9)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    (optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, maximize=True)),
    (optim.Adagrad, dict(lr=0.1)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-6)),
    (optim.Adagrad, dict(lr=0.1, maximize=True)),
    (optim.Adadelta, dict()),
    (optim.Adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    (optim.RMSprop, dict(lr=0.01)),
    (optim.RMSprop, dict(lr=0.01, centered=True)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True, alpha=0.9, maximize=True)),
    (optim.Adam, dict(lr=0.01)),
    (optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    (optim.Adam, dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, maximize=True)),
    (optim.AdamW, dict(lr=0.01)),
    (optim.AdamW, dict(lr=0.01, weight_decay=0.5, amsgrad=True, maximize=True)),
    (optim.Adamax, dict(lr=0.01)),
    (optim.Adamax, dict(lr=0.01, weight_decay=0.1, betas=(0.5, 0.9), maximize=True)),
    (optim.NAdam, dict(lr=0.01)),
    (optim.NAdam, dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    (optim.NAdam, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    (optim.RAdam, dict(lr=0.01)),
    (optim.RAdam, dict(lr=0.01, weight_decay=0.1, betas=(0.9, 0.9))),
    (optim.RAdam, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]
IDS = [f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for cls, kw in CONFIGS]


def grads(seed, n=STEPS, shape=SHAPE):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(n)]


def param(seed, dtype=np.float64, shape=SHAPE):
    return nd.tensor(np.random.default_rng(100 + seed).standard_normal(shape).astype(dtype), requires_grad=True)


def set_grad(p, g):
    p.grad = nd.tensor(g.astype(p.detach().numpy().dtype))


def reference(cls, kw, p0, gs, skip=()):
    """The reference trajectory: the parameter after each step (steps in `skip` have no gradient)."""
    p, st, t, out = p0.copy(), {}, 0, []
    for i, g in enumerate(gs):
        if i not in skip:
            t += 1
            p = REFS[cls](p, g, st, t, **kw)
        out.append(p)
    return out


def close(a, b, dtype=np.float64):
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(a, b, **tol)


def clone_state_dict(sd):
    return {"state": {k: {n: v.clone() for n, v in s.items()} for k, s in sd["state"].items()},
            "param_groups": [dict(g) for g in sd["param_groups"]]}


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_matches_reference(cls, kw):
    p = param(0)
    expected = reference(cls, kw, p.detach().numpy().copy(), grads(1))
    opt = cls([p], **kw)
    for i, g in enumerate(grads(1)):
        set_grad(p, g)
        opt.step()
        close(p.detach().numpy(), expected[i])


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_state_dict_round_trip_midway(cls, kw):
    p = param(0)
    gs = grads(2)
    expected = reference(cls, kw, p.detach().numpy().copy(), gs)
    opt = cls([p], **kw)
    for i, g in enumerate(gs):
        if i == STEPS // 2:
            sd = clone_state_dict(opt.state_dict())
            opt = cls([p], lr=123.0)  # fresh, different options: everything must come from the state_dict
            opt.load_state_dict(sd)
            resaved = opt.state_dict()
            assert resaved["param_groups"] == sd["param_groups"]
            assert sd["state"].keys() == resaved["state"].keys()
            for k in sd["state"]:
                assert sd["state"][k].keys() == resaved["state"][k].keys()
                for name, v in sd["state"][k].items():
                    np.testing.assert_array_equal(resaved["state"][k][name].numpy(), v.numpy())
        set_grad(p, g)
        opt.step()
        close(p.detach().numpy(), expected[i])


@pytest.mark.parametrize("cls", list(REFS))
def test_float32_and_two_groups(cls):
    a, b = param(1, np.float32), param(2, np.float32, shape=(1000,))  # b: vector body and tail
    ga, gb = grads(3), grads(4, shape=(1000,))
    kw_a, kw_b = {"lr": 0.01}, {"lr": 0.003}
    exp_a = reference(cls, kw_a, a.detach().numpy().astype(np.float64), ga)
    exp_b = reference(cls, kw_b, b.detach().numpy().astype(np.float64), gb)
    opt = cls([{"params": [a]}, {"params": [b], "lr": 0.003}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.003]
    for i in range(STEPS):
        set_grad(a, ga[i])
        set_grad(b, gb[i])
        opt.step()
        close(a.detach().numpy(), exp_a[i], np.float32)
        close(b.detach().numpy(), exp_b[i], np.float32)
    assert a.detach().numpy().dtype == np.float32


def test_grad_none_skipped_and_frozen_untouched():
    a, b = param(0), param(1)
    frozen = nd.tensor(np.ones(SHAPE), requires_grad=False)
    gs = grads(5)
    skip = {3, 4, 10}
    expected = reference(optim.Adam, {"lr": 0.01, "weight_decay": 0.1}, b.detach().numpy().copy(), gs, skip)
    a0 = a.detach().numpy().copy()
    opt = optim.Adam([a, b, frozen], lr=0.01, weight_decay=0.1)
    for i, g in enumerate(gs):
        b.grad = None if i in skip else nd.tensor(g)
        opt.step()
        close(b.detach().numpy(), expected[i])
    np.testing.assert_array_equal(a.detach().numpy(), a0)  # grad never set: no weight decay, no state
    np.testing.assert_array_equal(frozen.detach().numpy(), np.ones(SHAPE))
    assert set(opt.state_dict()["state"]) == {1}
    assert opt.state_dict()["state"][1]["step"].item() == STEPS - len(skip)


def test_edited_param_groups_are_picked_up():
    p = param(0)
    gs = grads(6)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    st, expected = {}, p.detach().numpy().copy()
    for i, g in enumerate(gs):
        lr = 0.1 if i < 10 else 0.01
        opt.param_groups[0]["lr"] = lr
        if i == 20:
            opt.param_groups[0]["nesterov"] = True
        expected = ref_sgd(expected, g, st, i + 1, lr=lr, momentum=0.9, nesterov=i >= 20)
        set_grad(p, g)
        opt.step()
        close(p.detach().numpy(), expected)


def test_add_param_group_and_state():
    a, b = param(0), param(1)
    opt = optim.Adam([a], lr=0.01)
    opt.add_param_group({"params": b, "lr": 0.1, "amsgrad": True})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999) and opt.param_groups[1]["amsgrad"]
    set_grad(a, np.ones(SHAPE))
    set_grad(b, np.ones(SHAPE))
    opt.step()
    assert set(opt.state[a]) == {"step", "exp_avg", "exp_avg_sq"}
    assert set(opt.state[b]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["state"][0]["step"].dtype == nd.float32 and sd["state"][0]["step"].shape == ()


def test_adagrad_state_exists_before_first_step():
    p = param(0)
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    st = opt.state_dict()["state"][0]
    np.testing.assert_array_equal(st["sum"].numpy(), np.full(SHAPE, 0.25))
    assert st["step"].item() == 0


def test_step_bumps_version_and_records_no_history():
    p = param(0)
    opt = optim.SGD([p], lr=0.1)
    set_grad(p, np.ones(SHAPE))
    v = p._version
    opt.step()
    assert p._version > v
    assert p.is_leaf and p.grad_fn is None and p.requires_grad


def test_zero_grad():
    p = param(0)
    opt = optim.SGD([p], lr=0.1)
    set_grad(p, np.ones(SHAPE))
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(SHAPE))
    opt.zero_grad()
    assert p.grad is None


def test_grad_from_backward_and_closure():
    x = nd.tensor(np.arange(6.0).reshape(2, 3))
    w = nd.tensor(np.ones((3,)), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (x @ w).sum()  # d/dw = column sums of x, an expanded gradient
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(15.0)
    np.testing.assert_allclose(w.detach().numpy(), 1 - 0.1 * np.array([3.0, 5.0, 7.0]))


def test_load_state_dict_errors_leave_optimizer_unchanged():
    p = param(0)
    opt = optim.Adam([p], lr=0.01)
    set_grad(p, np.ones(SHAPE))
    opt.step()
    before = clone_state_dict(opt.state_dict())
    bad_shape = clone_state_dict(before)
    bad_shape["state"][0]["exp_avg"] = nd.zeros(3)
    bad_shape["param_groups"][0]["lr"] = 0.5
    with pytest.raises(ValueError, match=r"\[Adam\] state 'exp_avg' of parameter 0 has shape"):
        opt.load_state_dict(bad_shape)
    bad_name = clone_state_dict(before)
    bad_name["state"][0]["momentum_buffer"] = nd.zeros(SHAPE)
    with pytest.raises(ValueError, match="unexpected state 'momentum_buffer'"):
        opt.load_state_dict(bad_name)
    two_groups = clone_state_dict(before)
    two_groups["param_groups"].append(dict(two_groups["param_groups"][0]))
    with pytest.raises(ValueError, match="2 parameter groups but the optimizer has 1"):
        opt.load_state_dict(two_groups)
    bad_lr = clone_state_dict(before)
    bad_lr["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="invalid learning rate"):
        opt.load_state_dict(bad_lr)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for name, v in before["state"][0].items():
        np.testing.assert_array_equal(after["state"][0][name].numpy(), v.numpy())
    set_grad(p, np.ones(SHAPE))
    opt.step()  # the C++ side kept the old options too (lr 0.01)
    assert opt.param_groups[0]["lr"] == 0.01


@pytest.mark.parametrize("make,exc,msg", [
    (lambda p: optim.SGD([p], lr=-0.1), ValueError, r"\[SGD\] invalid learning rate: -0.1"),
    (lambda p: optim.Adam([p], betas=(1.0, 0.999)), ValueError, r"\[Adam\] invalid beta parameter at index 0"),
    (lambda p: optim.AdamW([p], betas=(0.9, -0.1)), ValueError, r"\[AdamW\] invalid beta parameter at index 1"),
    (lambda p: optim.NAdam([p], betas=(0.9, 1.5)), ValueError, "beta parameter at index 1"),
    (lambda p: optim.Adam([p], eps=-1e-8), ValueError, r"\[Adam\] invalid epsilon value"),
    (lambda p: optim.RMSprop([p], eps=-1.0), ValueError, "invalid epsilon value"),
    (lambda p: optim.Adagrad([p], lr_decay=-1.0), ValueError, "invalid lr_decay"),
    (lambda p: optim.Adadelta([p], rho=1.5), ValueError, "invalid rho"),
    (lambda p: optim.SGD([p], weight_decay=-1.0), ValueError, "invalid weight_decay"),
    (lambda p: optim.SGD([p], momentum=0.0, nesterov=True), ValueError, "Nesterov momentum requires"),
    (lambda p: optim.SGD([p, p]), ValueError, "appears more than once"),
    (lambda p: optim.SGD([{"params": [p]}, {"params": [p]}]), ValueError, "appears more than once"),
    (lambda p: optim.SGD([p * 2]), ValueError, "can't optimize a non-leaf Tensor"),
    (lambda p: optim.SGD([]), ValueError, "empty parameter list"),
    (lambda p: optim.SGD(p), TypeError, "iterable of Tensors or dicts"),
    (lambda p: optim.SGD([{"params": {p}}]), TypeError, "ordered collections"),
    (lambda p: optim.SGD([p, 1.0]), TypeError, "can only optimize Tensors"),
    (lambda p: optim.SGD([nd.tensor([1, 2])]), TypeError, "only floating-point"),
])
def test_errors(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make(param(0))


def test_bad_edit_raises_before_any_update():
    a, b = param(0), param(1)
    opt = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    a0, b0 = a.detach().numpy().copy(), b.detach().numpy().copy()
    set_grad(a, np.ones(SHAPE))
    set_grad(b, np.ones(SHAPE))
    opt.param_groups[1]["lr"] = -1.0
    with pytest.raises(ValueError, match=r"\[SGD\] invalid learning rate: -1"):
        opt.step()
    np.testing.assert_array_equal(a.detach().numpy(), a0)
    np.testing.assert_array_equal(b.detach().numpy(), b0)


@pytest.mark.parametrize("cls,kw,steps", [(optim.SGD, dict(lr=0.05, momentum=0.9), 150),
                                          (optim.Adam, dict(lr=0.05), 300)])
def test_least_squares_converges(cls, kw, steps):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0, -1.0]) + 0.01 * rng.standard_normal(200)
    Xt, yt = nd.tensor(X), nd.tensor(y)
    w = nd.zeros(5, dtype=nd.float64, requires_grad=True)
    b = nd.zeros(1, dtype=nd.float64, requires_grad=True)
    opt = cls([w, b], **kw)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((Xt @ w + b - yt) ** 2).mean()
        loss.backward()
        opt.step()
    # The noise floor is 1e-4 (noise std 0.01); the fit must get within 50% of it.
    assert loss.item() < 1.5e-4


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_matches_pytorch(cls, kw):
    torch = pytest.importorskip("torch")
    p = param(0)
    tp = torch.tensor(p.detach().numpy().copy(), requires_grad=True)
    opt, topt = cls([p], **kw), getattr(torch.optim, cls.__name__)([tp], **kw)
    for g in grads(7):
        set_grad(p, g)
        tp.grad = torch.tensor(g)
        opt.step()
        topt.step()
    close(p.detach().numpy(), tp.detach().numpy())
    tstate = topt.state_dict()["state"].get(0, {})
    state = opt.state_dict()["state"].get(0, {})
    assert state.keys() == tstate.keys()
    for name, v in state.items():
        close(v.numpy(), tstate[name].numpy())
