"""Learning-rate schedulers: lr sequences against closed forms written from the definitions, against
PyTorch when it is installed, ReduceLROnPlateau on a scripted metric, and state_dict round trips."""
import math
from bisect import bisect_right

import numpy as np
import pytest

import nativedl as nd
from nativedl import optim
from nativedl.optim import lr_scheduler as lrs

BASE = 0.1
EPOCHS = 40


def make_opt(n_groups=1, lr=BASE, cls=optim.SGD, **kw):
    groups = [{"params": [nd.zeros(3, requires_grad=True)], "lr": lr * (i + 1)} for i in range(n_groups)]
    return cls(groups, lr=lr, **kw)


def run(sched, steps=EPOCHS):
    """The lrs of every group at epochs 0..steps (epoch 0: right after construction)."""
    seq = [list(sched.get_last_lr())]
    for _ in range(steps):
        sched.optimizer.step()
        sched.step()
        seq.append(list(sched.get_last_lr()))
        assert seq[-1] == [g["lr"] for g in sched.optimizer.param_groups]
    return np.array(seq)


def expected(closed, n_groups=1, steps=EPOCHS):
    return np.array([[closed(BASE * (i + 1), e) for i in range(n_groups)] for e in range(steps + 1)])


def cosine(base, eta_min, t, period):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


def warm_restarts(base, e, T_0, T_mult, eta_min):
    T_i, t = T_0, e
    while t >= T_i:
        t -= T_i
        T_i *= T_mult
    return cosine(base, eta_min, t, T_i)


def one_cycle(base_max, s, total, pct_start, div, final_div):
    initial, end_up = base_max / div, pct_start * total - 1
    if s <= end_up:
        return initial + (base_max - initial) * (1 - math.cos(math.pi * s / end_up)) / 2
    return cosine(base_max, initial / final_div, s - end_up, total - 1 - end_up)


CLOSED = [
    ("StepLR", lambda opt: lrs.StepLR(opt, step_size=7, gamma=0.5), lambda b, e: b * 0.5 ** (e // 7)),
    ("MultiStepLR", lambda opt: lrs.MultiStepLR(opt, milestones=[5, 12, 12, 30], gamma=0.3),
     lambda b, e: b * 0.3 ** bisect_right([5, 12, 12, 30], e)),
    ("ExponentialLR", lambda opt: lrs.ExponentialLR(opt, gamma=0.9), lambda b, e: b * 0.9 ** e),
    ("CosineAnnealingLR", lambda opt: lrs.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
     lambda b, e: cosine(b, 0.001, e, 10)),
    ("CosineAnnealingWarmRestarts", lambda opt: lrs.CosineAnnealingWarmRestarts(opt, T_0=6, eta_min=0.002),
     lambda b, e: warm_restarts(b, e, 6, 1, 0.002)),
    ("CosineAnnealingWarmRestarts-Tmult2", lambda opt: lrs.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2),
     lambda b, e: warm_restarts(b, e, 3, 2, 0.0)),
    ("LinearLR", lambda opt: lrs.LinearLR(opt, start_factor=0.1, end_factor=0.9, total_iters=8),
     lambda b, e: b * (0.1 + 0.8 * min(e, 8) / 8)),
    ("LambdaLR", lambda opt: lrs.LambdaLR(opt, lambda e: 1 / (1 + e)), lambda b, e: b / (1 + e)),
    ("SequentialLR", lambda opt: lrs.SequentialLR(opt, [lrs.LinearLR(opt, start_factor=0.25, total_iters=4),
                                                        lrs.ExponentialLR(opt, gamma=0.8)], milestones=[6]),
     lambda b, e: b * (0.25 + 0.75 * min(e, 4) / 4) if e < 6 else b * 0.8 ** (e - 6)),
]


@pytest.mark.parametrize("name,make,closed", CLOSED, ids=[c[0] for c in CLOSED])
def test_closed_forms(name, make, closed):
    np.testing.assert_allclose(run(make(make_opt(2))), expected(closed, 2), rtol=1e-12, atol=1e-15)


def test_one_cycle_closed_form_and_momentum():
    opt = make_opt(2, momentum=0.9)
    sched = lrs.OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=EPOCHS + 1, pct_start=0.3)
    got = run(sched)
    want = np.array([[one_cycle(m, s, EPOCHS + 1, 0.3, 25.0, 1e4) for m in (1.0, 2.0)] for s in range(EPOCHS + 1)])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)  # cycled back up at the end
    sched.step()  # step total_steps is the last one allowed
    with pytest.raises(ValueError, match="Tried to step 42 times"):
        sched.step()


def test_one_cycle_adam_cycles_beta1():
    opt = make_opt(1, cls=optim.Adam)
    sched = lrs.OneCycleLR(opt, max_lr=0.01, epochs=2, steps_per_epoch=5, anneal_strategy="linear")
    betas = [opt.param_groups[0]["betas"]]
    for _ in range(9):
        sched.step()
        betas.append(opt.param_groups[0]["betas"])
    assert betas[0] == (0.95, 0.999) and min(b[0] for b in betas) == pytest.approx(0.85)
    assert all(b[1] == 0.999 for b in betas)


def test_reduce_lr_on_plateau_scripted():
    opt = make_opt(1, lr=1.0)
    sched = lrs.ReduceLROnPlateau(opt, factor=0.5, patience=2, threshold=0.0)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85]
    got = []
    for m in metrics:
        sched.step(m)
        got.append(sched.get_last_lr()[0])
    assert got == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_reduce_lr_on_plateau_max_cooldown_min_lr():
    opt = make_opt(2, lr=1.0)
    sched = lrs.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, cooldown=2, min_lr=[0.05, 0.0],
                                  threshold=0.1, threshold_mode="abs")
    got = []
    for m in [1.0, 1.05, 1.05, 1.05, 1.05, 1.2, 1.2]:
        sched.step(m)
        got.append(sched.get_last_lr())
    # 1.05 is not better than 1.0 + 0.1: reduce, then two cooldown epochs, then reduce again.
    np.testing.assert_allclose(got, [[1, 2], [0.1, 0.2], [0.1, 0.2], [0.1, 0.2], [0.05, 0.02], [0.05, 0.02],
                                     [0.05, 0.02]])


def _round_trip(make, n_groups, steps_before=9, steps_after=15, metric=None):
    opt = make_opt(n_groups, momentum=0.9)
    sched = make(opt)
    for i in range(steps_before):
        opt.step()
        sched.step(*([metric(i)] if metric else []))
    opt_sd, sched_sd = opt.state_dict(), sched.state_dict()
    opt2 = make_opt(n_groups, momentum=0.9)
    sched2 = make(opt2)
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sched_sd)
    for i in range(steps_before, steps_before + steps_after):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step(*([metric(i)] if metric else []))
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]


@pytest.mark.parametrize("name,make,closed", CLOSED, ids=[c[0] for c in CLOSED])
def test_state_dict_round_trip(name, make, closed):
    _round_trip(make, 2)


def test_state_dict_round_trip_plateau_and_one_cycle():
    _round_trip(lambda o: lrs.ReduceLROnPlateau(o, patience=1), 2, metric=lambda i: 1.0 + (i % 3 == 0))
    _round_trip(lambda o: lrs.OneCycleLR(o, max_lr=1.0, total_steps=30, three_phase=True), 2, steps_after=20)


def test_scheduler_errors():
    opt = make_opt(2)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lrs.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        lrs.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lrs.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode avg is unknown"):
        lrs.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="either total_steps OR"):
        lrs.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        lrs.OneCycleLR(make_opt(1, cls=optim.Adagrad), max_lr=1.0, total_steps=10)
    with pytest.raises(ValueError, match="one more than the number of milestone points"):
        lrs.SequentialLR(opt, [lrs.StepLR(opt, 3), lrs.StepLR(opt, 3)], milestones=[])
    with pytest.raises(ValueError, match="Expected positive integer T_0"):
        lrs.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(KeyError, match="initial_lr"):
        lrs.StepLR(make_opt(1), 3, last_epoch=4)


# ---------------------------------------------------------------- against PyTorch

TORCH_CASES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=4, gamma=0.7),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[3, 9, 9, 20], gamma=0.5),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.001),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, total_iters=6),
    "LambdaLR": lambda m, o: m.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1 / (e + 1)]),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 1.0], total_steps=EPOCHS + 1, pct_start=0.25),
    "OneCycleLR-3phase-linear": lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=EPOCHS + 1, three_phase=True,
                                                         anneal_strategy="linear"),
    "SequentialLR": lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=5),
                                                    m.CosineAnnealingLR(o, T_max=10)], milestones=[5]),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    make = TORCH_CASES[name]
    tparams = [{"params": [torch.zeros(3, requires_grad=True)], "lr": BASE * (i + 1)} for i in range(2)]
    topt = torch.optim.SGD(tparams, lr=BASE, momentum=0.9)
    tsched = make(torch.optim.lr_scheduler, topt)
    want = [list(tsched.get_last_lr())]
    momenta = [[g["momentum"] for g in topt.param_groups]]
    for _ in range(EPOCHS):
        topt.step()
        tsched.step()
        want.append(list(tsched.get_last_lr()))
        momenta.append([g["momentum"] for g in topt.param_groups])
    opt = make_opt(2, momentum=0.9)
    sched = make(lrs, opt)
    got = [list(sched.get_last_lr())]
    got_momenta = [[g["momentum"] for g in opt.param_groups]]
    for _ in range(EPOCHS):
        opt.step()
        sched.step()
        got.append(list(sched.get_last_lr()))
        got_momenta.append([g["momentum"] for g in opt.param_groups])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(got_momenta, momenta, rtol=1e-13)


def test_plateau_matches_pytorch():
    torch = pytest.importorskip("torch")
    metrics = [1.0, 0.99995, 0.9, 0.9, 0.91, 0.9, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69, 0.7, 0.7, 0.7]
    kw = dict(factor=0.3, patience=1, cooldown=1, min_lr=0.02)
    topt = torch.optim.SGD([torch.zeros(3, requires_grad=True)], lr=1.0)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    opt = make_opt(1, lr=1.0)
    sched = lrs.ReduceLROnPlateau(opt, **kw)
    for m in metrics:
        tsched.step(m)
        sched.step(m)
        assert sched.get_last_lr() == tsched.get_last_lr()
