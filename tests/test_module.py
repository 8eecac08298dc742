"""nn.Module and friends: registration, traversal, modes, dtype conversion, state_dict, hooks,
repr, containers, the simple layers (Identity, Flatten, Unflatten, Linear, Bilinear) and Parameter."""
from collections import OrderedDict

import numpy as np
import pytest

import nativedl as nd
from nativedl import nn
from nativedl.autograd import gradcheck
from nativedl.nn import functional as F


def np_of(t):
    return t.detach().numpy()


def snapshot(module):
    """Copies of every parameter and buffer, to check that a failed operation changed nothing."""
    return {k: (v.dtype, np_of(v).copy()) for k, v in module.state_dict(keep_vars=True).items()}


def assert_unchanged(module, snap):
    now = snapshot(module)
    assert list(now) == list(snap)
    for k, (dt, arr) in snap.items():
        assert now[k][0] == dt
        # Bit-identical, NaNs included.
        assert now[k][1].tobytes() == arr.tobytes(), k


class Net(nn.Module):
    """Two Linear layers, a bare parameter, a persistent and a non-persistent buffer."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.scale = nn.Parameter(nd.ones(3))
        self.register_buffer("running", nd.zeros(3))
        self.register_buffer("cache", nd.ones(2), persistent=False)
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(self.fc1(x) * self.scale)


# ------------------------------------------------------------------ registration
def test_attribute_registration():
    net = Net()
    assert list(net._parameters) == ["scale"]
    assert list(net._modules) == ["fc1", "fc2"]
    assert list(net._buffers) == ["running", "cache"]
    assert net.scale is net._parameters["scale"] and isinstance(net.scale, nn.Parameter)
    assert net.fc1 is net._modules["fc1"]
    assert "fc1" not in net.__dict__ and "scale" not in net.__dict__
    # Plain attributes stay plain.
    net.note = 3
    net.t = nd.ones(2)
    assert net.note == 3 and "t" not in net._buffers and "t" in net.__dict__
    # nn.Buffer registers as a buffer, keeping its persistent flag.
    net.extra = nn.Buffer(nd.ones(2), persistent=False)
    assert "extra" in net._buffers and "extra" in net._non_persistent_buffers_set
    assert "extra" not in net.state_dict()
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        net.nothing
    assert {"fc1", "scale", "running"} <= set(dir(net))


def test_reassignment_keeps_registration_order():
    # PyTorch replaces in place: a re-assigned parameter or module keeps its position.
    lin = nn.Linear(2, 3)
    lin.weight = nn.Parameter(nd.zeros(3, 2))
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    seq = nn.Sequential(nn.Identity(), nn.Linear(1, 1), nn.Identity())
    seq[0] = nn.Linear(2, 2)
    assert list(seq._modules) == ["0", "1", "2"] and isinstance(seq[0], nn.Linear)
    net = Net()
    net.fc1 = nn.Linear(4, 3, bias=False)
    assert list(net._modules) == ["fc1", "fc2"]


def test_assignment_rules():
    net = Net()
    with pytest.raises(TypeError, match="scale"):
        net.scale = nd.ones(3)  # a plain tensor can't replace a parameter
    net.scale = None
    assert net.scale is None and "scale" in net._parameters
    assert "scale" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="fc1"):
        net.fc1 = nd.ones(1)
    with pytest.raises(TypeError, match="running"):
        net.running = 3.0
    net.running = nd.full((3,), 2.0)  # a tensor replaces a buffer and stays a buffer
    assert "running" in net._buffers and np_of(net.running).tolist() == [2, 2, 2]
    # Re-typing: a module attribute replaced by a parameter moves stores.
    net.fc2 = nn.Parameter(nd.zeros(1))
    assert "fc2" in net._parameters and "fc2" not in net._modules
    del net.fc2
    assert "fc2" not in net._parameters
    with pytest.raises(AttributeError):
        net.fc2


def test_registration_errors():
    net = Net()
    with pytest.raises(KeyError, match="already exists"):
        net.register_buffer("fc1", nd.ones(1))
    with pytest.raises(KeyError, match="already exists"):
        net.register_parameter("running", nn.Parameter(nd.ones(1)))
    with pytest.raises(KeyError, match=r"\."):
        net.register_buffer("a.b", nd.ones(1))
    with pytest.raises(KeyError):
        net.register_parameter("", nn.Parameter(nd.ones(1)))
    with pytest.raises(TypeError, match="Parameter"):
        net.register_parameter("w", nd.ones(1))
    with pytest.raises(TypeError, match="buffer"):
        net.register_buffer("b", [1.0])
    with pytest.raises(TypeError, match="name should be a string"):
        net.register_buffer(3, nd.ones(1))
    with pytest.raises(TypeError, match="Module"):
        net.add_module("m", 3)

    class NoInit(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(nd.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        NoInit()


def test_register_buffer_persistent_flag():
    m = nn.Module()
    m.register_buffer("a", nd.ones(2))
    m.register_buffer("b", nd.zeros(2), persistent=False)
    m.register_buffer("c", None)
    assert list(m.state_dict()) == ["a"]
    assert [n for n, _ in m.named_buffers()] == ["a", "b"]  # None buffers are skipped
    # Re-registering as persistent makes it part of the state again.
    m.register_buffer("b", nd.zeros(2), persistent=True)
    assert list(m.state_dict()) == ["a", "b"]
    # A non-persistent buffer in a state_dict is an unexpected key.
    m.register_buffer("b", nd.zeros(2), persistent=False)
    with pytest.raises(RuntimeError, match='Unexpected key.*"b"'):
        m.load_state_dict({"a": nd.ones(2), "b": nd.ones(2)})


# ------------------------------------------------------------------ traversal
def nested():
    inner = nn.Sequential(nn.Linear(2, 3), nn.Identity(), nn.Linear(3, 2, bias=False))
    outer = nn.Sequential(OrderedDict(first=nn.Linear(2, 2), inner=inner, last=nn.Linear(2, 1)))
    return outer, inner


def test_named_parameters_order_and_names():
    outer, inner = nested()
    names = [n for n, _ in outer.named_parameters()]
    assert names == ["first.weight", "first.bias", "inner.0.weight", "inner.0.bias", "inner.2.weight",
                     "last.weight", "last.bias"]
    assert [p for p in outer.parameters()] == [p for _, p in outer.named_parameters()]
    assert [n for n, _ in inner.named_parameters(prefix="x")] == ["x.0.weight", "x.0.bias", "x.2.weight"]
    assert list(outer.named_parameters(recurse=False)) == []
    assert outer.get_parameter("inner.2.weight") is inner[2].weight
    assert outer.get_submodule("inner.0") is inner[0]


def test_shared_parameters_and_modules_deduplicated():
    lin = nn.Linear(3, 3)
    model = nn.Sequential(lin, nn.Identity(), lin)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    assert len(list(model.children())) == 2
    # Tied weight across two different modules: listed once, under its first name.
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight
    tied = nn.Sequential(a, b)
    assert [n for n, _ in tied.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert len(list(tied.named_parameters(remove_duplicate=False))) == 4
    # state_dict keeps every name, as PyTorch's does.
    assert list(tied.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_buffers_and_named_buffers():
    net = Net()
    outer = nn.Sequential(net, nn.Linear(1, 1))
    assert [n for n, _ in outer.named_buffers()] == ["0.running", "0.cache"]
    assert [b for b in outer.buffers()] == [net.running, net.cache]
    assert list(outer.buffers(recurse=False)) == []
    assert [n for n, _ in net.named_buffers(prefix="p")] == ["p.running", "p.cache"]


def test_children_modules_named_modules():
    outer, inner = nested()
    assert list(outer.children()) == [outer.first, inner, outer.last]
    assert [n for n, _ in outer.named_children()] == ["first", "inner", "last"]
    assert [n for n, _ in outer.named_modules()] == ["", "first", "inner", "inner.0", "inner.1", "inner.2", "last"]
    assert list(outer.modules())[0] is outer and len(list(outer.modules())) == 7
    assert [n for n, _ in inner.named_modules(prefix="m")] == ["m", "m.0", "m.1", "m.2"]


def test_train_eval_propagation():
    outer, inner = nested()
    assert all(m.training for m in outer.modules())
    assert outer.eval() is outer
    assert not any(m.training for m in outer.modules())
    inner.train()
    assert not outer.training and all(m.training for m in inner.modules())
    outer.train(True)
    assert all(m.training for m in outer.modules())
    with pytest.raises(ValueError, match="boolean"):
        outer.train("yes")

    class Frozen(nn.Module):
        """Overrides train(), as layers with frozen statistics do: the parent must call it."""

        def __init__(self):
            super().__init__()
            self.calls = []

        def train(self, mode=True):
            self.calls.append(mode)
            return super().train(False)

    f = Frozen()
    seq = nn.Sequential(nn.Identity(), f)
    seq.train()
    assert f.calls == [True] and not f.training and seq.training
    seq.eval()
    assert f.calls == [True, False]


def test_requires_grad_():
    net = Net()
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.fc1.requires_grad_()
    assert [n for n, p in net.named_parameters() if p.requires_grad] == ["fc1.weight", "fc1.bias"]


def test_zero_grad():
    net = Net()
    net(nd.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    grad = net.fc1.weight.grad
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not np_of(p.grad).any() for p in net.parameters())
    # Zeroed in place, as PyTorch does: an earlier handle on the grad sees the zeros.
    assert not np_of(grad).any()
    net(nd.randn(5, 4)).sum().backward()
    net.zero_grad()  # set_to_none defaults to True
    assert all(p.grad is None for p in net.parameters())
    net.zero_grad()  # no grads at all: a no-op


def test_apply_order():
    outer, inner = nested()
    seen = []
    assert outer.apply(lambda m: seen.append(m)) is outer
    # Children first (depth-first, post-order), the module itself last.
    assert seen == [outer.first, inner[0], inner[1], inner[2], inner, outer.last, outer]

    def init_fn(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)

    outer.apply(init_fn)
    assert all((np_of(m.weight) == 0.5).all() for m in outer.modules() if isinstance(m, nn.Linear))


def test_to_dtype_keeps_identity_and_converts_grads():
    net = Net()
    net.register_buffer("steps", nd.tensor([3], dtype=nd.int64))
    net(nd.randn(2, 4)).sum().backward()
    params = dict(net.named_parameters())
    before = {k: np_of(p).copy() for k, p in params.items()}
    grads = {k: np_of(p.grad).copy() for k, p in params.items()}
    assert net.double() is net
    for k, p in net.named_parameters():
        assert p is params[k] and isinstance(p, nn.Parameter) and p.requires_grad and p.is_leaf
        assert p.dtype == nd.float64 and p.grad.dtype == nd.float64
        np.testing.assert_array_equal(np_of(p), before[k].astype(np.float64))
        np.testing.assert_array_equal(np_of(p.grad), grads[k].astype(np.float64))
    assert net.running.dtype == nd.float64 and net.cache.dtype == nd.float64
    assert net.steps.dtype == nd.int64  # integer buffers are left alone
    out = net(nd.randn(2, 4, dtype=nd.float64))
    assert out.dtype == nd.float64
    out.sum().backward()  # gradients accumulate into the converted grads
    assert net.fc1.weight.grad.dtype == nd.float64
    assert net.float() is net and net.fc2.bias.dtype == nd.float32 and net.fc2.bias is params["fc2.bias"]
    assert net.to(nd.float64) is net and net.scale.dtype == nd.float64
    assert net.to(dtype=nd.float32).scale.dtype == nd.float32
    assert net.to("cpu") is net and net.to(nd.device("cpu"), nd.float64).scale.dtype == nd.float64
    with pytest.raises(TypeError, match="floating point"):
        net.to(nd.int32)


# ------------------------------------------------------------------ state_dict
def test_state_dict_contents():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["scale", "running", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    for k, v in sd.items():
        assert type(v) is nd.Tensor and not v.requires_grad
    # The values share storage with the parameters (detached views, as PyTorch's).
    with nd.no_grad():
        net.fc1.weight.fill_(7.0)
    assert (np_of(sd["fc1.weight"]) == 7).all()
    assert isinstance(net.state_dict(keep_vars=True)["scale"], nn.Parameter)
    assert list(net.state_dict(prefix="m.")) == ["m." + k for k in sd]


def test_state_dict_round_trip_tensors_and_numpy():
    src, dst = Net(), Net()
    with nd.no_grad():
        src.running.copy_(nd.tensor([1.0, 2.0, 3.0]))
    for values in (src.state_dict(), {k: np_of(v).copy() for k, v in src.state_dict().items()},
                   {k: np_of(v).astype(np.float64) for k, v in src.state_dict().items()}):
        dst2 = Net()
        params = list(dst2.parameters())
        res = dst2.load_state_dict(values)
        assert res.missing_keys == [] and res.unexpected_keys == []
        assert list(dst2.parameters()) == params  # loaded in place: identity kept
        for k, v in dst2.state_dict().items():
            np.testing.assert_array_equal(np_of(v), np_of(src.state_dict()[k]))
        assert dst2.scale.dtype == nd.float32 and dst2.scale.requires_grad
    # The loaded values are copies, not aliases of the source.
    dst.load_state_dict(src.state_dict())
    with nd.no_grad():
        src.fc1.weight.fill_(0.0)
    assert np_of(dst.fc1.weight).any()


@pytest.mark.parametrize("case", ["shape", "missing", "unexpected", "not_numeric"])
def test_load_state_dict_errors_leave_module_unchanged(case):
    net = Net()
    with nd.no_grad():
        net.running.copy_(nd.tensor([1.0, 2.0, 3.0]))
    snap = snapshot(net)
    good = {k: np.full(tuple(v.shape), 9.0, dtype=np.float32) for k, v in net.state_dict().items()}
    bad, key = dict(good), None
    if case == "shape":
        key = "fc2.weight"
        bad[key] = np.zeros((3, 2), dtype=np.float32)
        message = r"size mismatch for fc2\.weight.*\(3, 2\).*\(2, 3\)"
    elif case == "missing":
        key = "fc1.bias"
        del bad[key]
        message = r'Missing key\(s\) in state_dict: "fc1\.bias"'
    elif case == "unexpected":
        key = "fc3.weight"
        bad[key] = np.zeros(2, dtype=np.float32)
        message = r'Unexpected key\(s\) in state_dict: "fc3\.weight"'
    else:
        key = "scale"
        bad[key] = np.array(["a", "b", "c"])
        message = "scale"
    with pytest.raises(RuntimeError, match=message):
        net.load_state_dict(bad)
    assert_unchanged(net, snap)
    if case in ("missing", "unexpected"):
        res = net.load_state_dict(bad, strict=False)
        assert res == ((["fc1.bias"], []) if case == "missing" else ([], ["fc3.weight"]))
        # Everything that matched was loaded.
        assert (np_of(net.fc2.weight) == 9).all() and (np_of(net.running) == 9).all()
        if case == "missing":
            np.testing.assert_array_equal(np_of(net.fc1.bias), snap["fc1.bias"][1])
    else:
        # A size mismatch raises even without strict.
        with pytest.raises(RuntimeError, match=key.replace(".", r"\.")):
            net.load_state_dict(bad, strict=False)
        assert_unchanged(net, snap)


def test_load_state_dict_multiple_errors_listed():
    net = Net()
    sd = {k: v for k, v in net.state_dict().items() if k != "scale"}
    sd["fc1.weight"] = nd.zeros(1)
    sd["bogus"] = nd.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert "Net" in msg and '"scale"' in msg and '"bogus"' in msg and "fc1.weight" in msg


def test_load_state_dict_assign():
    src, dst = nn.Linear(2, 3), nn.Linear(2, 3)
    w = nd.randn(3, 2)
    dst.weight.requires_grad_(False)
    dst.load_state_dict({"weight": w, "bias": src.bias.detach()}, assign=True)
    # assign=True puts the given tensors in place of the parameters, keeping requires_grad.
    assert isinstance(dst.weight, nn.Parameter) and not dst.weight.requires_grad and dst.bias.requires_grad
    with nd.no_grad():
        w.fill_(3.0)
    assert (np_of(dst.weight) == 3).all()


def test_load_state_dict_shared_parameter():
    a = nn.Linear(2, 2)
    model = nn.Sequential(a, a)
    sd = {k: nd.full(tuple(v.shape), 4.0) for k, v in model.state_dict().items()}
    model.load_state_dict(sd)
    assert (np_of(a.weight) == 4).all()
    with pytest.raises(RuntimeError, match=r'Missing key.*"1\.weight"'):
        model.load_state_dict({"0.weight": sd["0.weight"], "0.bias": sd["0.bias"], "1.bias": sd["1.bias"]})


# ------------------------------------------------------------------ repr
def test_repr_matches_pytorch_format():
    model = nn.Sequential(
        nn.Linear(4, 3),
        nn.Identity(),
        nn.Sequential(nn.Flatten(), nn.Linear(3, 2, bias=False)),
        nn.Unflatten(1, (1, 2)),
    )
    expected = (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (1): Identity()\n"
        "  (2): Sequential(\n"
        "    (0): Flatten(start_dim=1, end_dim=-1)\n"
        "    (1): Linear(in_features=3, out_features=2, bias=False)\n"
        "  )\n"
        "  (3): Unflatten(dim=1, unflattened_size=(1, 2))\n"
        ")"
    )
    assert repr(model) == expected
    assert repr(nn.Sequential()) == "Sequential()"
    assert repr(nn.Bilinear(2, 3, 4)) == "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)"
    md = nn.ModuleDict({"a": nn.Identity(), "b": nn.ModuleList([nn.Identity()])})
    assert repr(md) == "ModuleDict(\n  (a): Identity()\n  (b): ModuleList(\n    (0): Identity()\n  )\n)"
    assert repr(Net()) == (
        "Net(\n  (fc1): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (fc2): Linear(in_features=3, out_features=2, bias=True)\n)")

    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Identity()

        def extra_repr(self):
            return "alpha=1"

    assert repr(Custom()) == "Custom(\n  alpha=1\n  (body): Identity()\n)"


def test_parameter_containers_repr():
    dt = str(nd.float32)
    pl = nn.ParameterList([nn.Parameter(nd.zeros(2, 3)), nd.zeros(4)])
    assert repr(pl) == (f"ParameterList(\n    (0): Parameter containing: [{dt} of size 2x3]\n"
                        f"    (1): Parameter containing: [{dt} of size 4]\n)")
    pd = nn.ParameterDict({"w": nn.Parameter(nd.zeros(2, 2))})
    assert repr(pd) == f"ParameterDict(  (w): Parameter containing: [{dt} of size 2x2])"


def test_repr_equals_pytorch():
    torch = pytest.importorskip("torch")
    tn = torch.nn
    pairs = [
        (nn.Sequential(nn.Linear(4, 3), nn.Identity(), nn.Sequential(nn.Flatten(0, 1), nn.Linear(3, 2, bias=False)),
                       nn.Bilinear(1, 2, 3, bias=False), nn.Unflatten(-1, (2, 2))),
         tn.Sequential(tn.Linear(4, 3), tn.Identity(), tn.Sequential(tn.Flatten(0, 1), tn.Linear(3, 2, bias=False)),
                       tn.Bilinear(1, 2, 3, bias=False), tn.Unflatten(-1, (2, 2)))),
        (nn.ModuleDict({"x": nn.ModuleList([nn.Linear(1, 1), nn.Identity()])}),
         tn.ModuleDict({"x": tn.ModuleList([tn.Linear(1, 1), tn.Identity()])})),
        (nn.ParameterList([nd.zeros(2, 3), nd.zeros(5)]), tn.ParameterList([torch.zeros(2, 3), torch.zeros(5)])),
        (nn.ParameterDict({"a": nd.zeros(1), "b": nd.zeros(2, 2)}),
         tn.ParameterDict({"a": torch.zeros(1), "b": torch.zeros(2, 2)})),
    ]
    for ours, theirs in pairs:
        # PyTorch's ParameterDict prints legacy type names (torch.FloatTensor); nativedl has none and
        # prints the dtype, as ParameterList does.
        assert repr(ours).replace(str(nd.float32), "torch.float32") == \
            repr(theirs).replace("torch.FloatTensor", "torch.float32")


# ------------------------------------------------------------------ hooks
def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []

    def pre(module, args):
        calls.append(("pre", module))
        return args[0] * 2  # a single value is wrapped in a tuple

    def post(module, args, output):
        calls.append(("post", len(args)))
        return output + 100

    x = nd.randn(3, 2)
    plain = np_of(lin(x))
    h1 = lin.register_forward_pre_hook(pre)
    h2 = lin.register_forward_hook(post)
    np.testing.assert_allclose(np_of(lin(x)), np_of(lin.forward(x * 2)) + 100, rtol=1e-6)
    assert calls == [("pre", lin), ("post", 1)]
    h1.remove()
    np.testing.assert_allclose(np_of(lin(x)), plain + 100, rtol=1e-6)
    h2.remove()
    h2.remove()  # removing twice is harmless
    np.testing.assert_array_equal(np_of(lin(x)), plain)
    with lin.register_forward_hook(post):  # a handle is also a context manager
        np.testing.assert_allclose(np_of(lin(x)), plain + 100, rtol=1e-6)
    np.testing.assert_array_equal(np_of(lin(x)), plain)


def test_hooks_order_none_return_and_tuple_args():
    bil = nn.Bilinear(2, 3, 1)
    order = []
    bil.register_forward_pre_hook(lambda m, args: order.append("a"))
    bil.register_forward_pre_hook(lambda m, args: (args[1], args[0]))  # swap: a tuple replaces args
    seen = []
    bil.register_forward_hook(lambda m, args, out: seen.append(tuple(a.shape for a in args)))
    out = bil(nd.randn(4, 3), nd.randn(4, 2))
    assert order == ["a"] and tuple(out.shape) == (4, 1)
    assert seen == [((4, 2), (4, 3))]  # forward hooks see the args after the pre-hooks


def test_hook_on_child_sees_intermediate():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    captured = []
    h = model[0].register_forward_hook(lambda m, args, out: captured.append(out))
    model(nd.randn(5, 3))
    assert tuple(captured[0].shape) == (5, 4)
    h.remove()
    model(nd.randn(5, 3))
    assert len(captured) == 1


# ------------------------------------------------------------------ containers
def test_sequential_indexing_and_mutation():
    a, b, c, d = nn.Linear(1, 2), nn.Identity(), nn.Linear(2, 3), nn.Flatten()
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c and seq[-3] is a
    with pytest.raises(IndexError):
        seq[3]
    with pytest.raises(IndexError):
        seq[-4]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c] and list(sub._modules) == ["1", "2"]
    assert list(seq[::-1]) == [c, b, a]
    assert seq.append(d) is seq and seq[3] is d
    seq.insert(1, nn.Identity())
    assert list(seq._modules) == ["0", "1", "2", "3", "4"] and seq[2] is b
    seq.insert(-1, nn.Identity())  # before the last, as list.insert
    assert seq[-1] is d and len(seq) == 6
    with pytest.raises(IndexError):
        seq.insert(10, nn.Identity())
    del seq[1]
    del seq[-2]
    assert list(seq) == [a, b, c, d] and list(seq._modules) == ["0", "1", "2", "3"]
    del seq[0]
    # Renumbered after a delete, so append never overwrites.
    seq.append(nn.Identity())
    assert len(seq) == 4 and list(seq)[:3] == [b, c, d]
    del seq[1:3]
    assert len(seq) == 2 and seq[0] is b
    seq.extend([nn.Identity(), nn.Identity()])
    assert len(seq) == 4
    seq[0] = c
    assert seq[0] is c


def test_sequential_forward_and_named():
    model = nn.Sequential(OrderedDict(fc=nn.Linear(3, 2), flat=nn.Flatten(0)))
    assert model.fc is model[0]
    x = nd.randn(4, 3)
    np.testing.assert_allclose(np_of(model(x)), np_of(model.fc(x)).reshape(-1), rtol=1e-6)
    assert list(model[:1]._modules) == ["fc"]


def test_module_list():
    mods = [nn.Linear(1, 1) for _ in range(4)]
    ml = nn.ModuleList(mods[:2])
    assert len(ml) == 2 and list(ml) == mods[:2] and ml[-1] is mods[1]
    assert ml.append(mods[2]) is ml
    ml.extend([mods[3]])
    assert [n for n, _ in ml.named_parameters()][:2] == ["0.weight", "0.bias"]
    assert len(list(ml.parameters())) == 8
    sub = ml[1:3]
    assert isinstance(sub, nn.ModuleList) and list(sub) == mods[1:3]
    ml.insert(0, nn.Identity())
    assert isinstance(ml[0], nn.Identity) and ml[1] is mods[0] and len(ml) == 5
    del ml[0]
    assert list(ml) == mods and list(ml._modules) == ["0", "1", "2", "3"]
    ml[-1] = nn.Identity()
    assert isinstance(ml[3], nn.Identity)
    with pytest.raises(IndexError):
        ml[4]
    with pytest.raises(NotImplementedError):
        ml(nd.ones(1))


def test_module_dict():
    a, b = nn.Linear(1, 1), nn.Identity()
    md = nn.ModuleDict({"a": a})
    md["b"] = b
    assert len(md) == 2 and "a" in md and list(md) == ["a", "b"] and list(md.keys()) == ["a", "b"]
    assert list(md.values()) == [a, b] and list(md.items()) == [("a", a), ("b", b)]
    md.update([("c", nn.Identity())])
    md.update(OrderedDict(d=nn.Identity()))
    assert list(md) == ["a", "b", "c", "d"]
    assert md.pop("c") is not None and "c" not in md
    del md["d"]
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    with pytest.raises(KeyError):
        md["zz"]


def test_parameter_list():
    p0 = nn.Parameter(nd.ones(2))
    pl = nn.ParameterList([p0, nd.zeros(3)])
    assert len(pl) == 2 and pl[0] is p0 and isinstance(pl[1], nn.Parameter) and pl[-1] is pl[1]
    assert pl[1].requires_grad
    pl.append(nd.ones(1))
    pl.extend([nd.ones(4)])
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2", "3"]
    assert [tuple(p.shape) for p in pl] == [(2,), (3,), (1,), (4,)]
    assert [tuple(p.shape) for p in pl[1:3]] == [(3,), (1,)]
    pl[0] = nd.zeros(5)
    assert tuple(pl[0].shape) == (5,) and isinstance(pl[0], nn.Parameter)
    with pytest.raises(IndexError):
        pl[4]
    model = nn.Module()
    model.ps = pl
    assert [n for n, _ in model.named_parameters()] == ["ps.0", "ps.1", "ps.2", "ps.3"]


def test_parameter_dict():
    pd = nn.ParameterDict({"w": nd.ones(2)})
    pd["b"] = nn.Parameter(nd.zeros(1))
    assert isinstance(pd["w"], nn.Parameter) and len(pd) == 2 and "b" in pd
    assert list(pd) == ["w", "b"] and list(pd.keys()) == ["w", "b"]
    assert [tuple(v.shape) for v in pd.values()] == [(2,), (1,)]
    assert [k for k, _ in pd.items()] == ["w", "b"]
    pd.update({"c": nd.ones(3)})
    del pd["w"]
    assert [n for n, _ in pd.named_parameters()] == ["b", "c"]
    assert tuple(pd.pop("c").shape) == (3,) and list(pd) == ["b"]


# ------------------------------------------------------------------ simple layers
def test_identity_flatten_unflatten():
    x = nd.randn(2, 3, 4, 5)
    assert nn.Identity(54, unused="x")(x) is x
    assert tuple(nn.Flatten()(x).shape) == (2, 60)
    assert tuple(nn.Flatten(0, 2)(x).shape) == (24, 5)
    assert tuple(nn.Flatten(-2)(x).shape) == (2, 3, 20)
    np.testing.assert_array_equal(np_of(nn.Flatten()(x)), np_of(x).reshape(2, 60))
    y = nn.Unflatten(1, (3, 20))(nn.Flatten()(x))
    assert tuple(y.shape) == (2, 3, 20)
    assert tuple(nn.Unflatten(-1, (5, 1))(x).shape) == (2, 3, 4, 5, 1)
    np.testing.assert_array_equal(np_of(nn.Unflatten(1, (3, 4, 5))(nn.Flatten()(x))), np_of(x))
    assert list(nn.Flatten().parameters()) == []
    u = nn.Unflatten(1, [3, 20])  # a list is kept as given, as PyTorch prints it
    assert repr(u) == "Unflatten(dim=1, unflattened_size=[3, 20])" and tuple(u(nd.ones(2, 60)).shape) == (2, 3, 20)


@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_vs_numpy(shape, bias):
    lin = nn.Linear(5, 3, bias=bias)
    x = nd.randn(*shape)
    want = np_of(x) @ np_of(lin.weight).T
    if bias:
        want = want + np_of(lin.bias)
    out = lin(x)
    assert tuple(out.shape) == shape[:-1] + (3,)
    np.testing.assert_allclose(np_of(out), want, rtol=1e-5, atol=1e-6)
    assert tuple(lin.weight.shape) == (3, 5) and (lin.bias is None) == (not bias)
    np.testing.assert_allclose(np_of(F.linear(x, lin.weight, lin.bias)), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(shape, bias):
    lin = nn.Linear(3, 2, bias=bias, dtype=nd.float64)
    x = nd.randn(*shape, dtype=nd.float64, requires_grad=True)
    params = tuple(lin.parameters())
    # The parameters are perturbed in place, so this checks the module really uses them.
    assert gradcheck(lambda x, *ps: lin(x), (x,) + params)


def test_linear_errors_and_dtype():
    lin = nn.Linear(4, 2)
    with pytest.raises(ValueError, match=r"\[Linear\].*\(3, 5\).*in_features=4"):
        lin(nd.randn(3, 5))
    assert lin.weight.dtype == nd.float32
    assert nn.Linear(2, 2, dtype=nd.float64).weight.dtype == nd.float64
    z = nn.Linear(0, 3)  # zero-sized, as PyTorch allows
    assert tuple(z(nd.randn(2, 0)).shape) == (2, 3)


def bilinear_ref(x1, x2, w, b):
    out = np.einsum("...i,oij,...j->...o", x1, w, x2)
    return out if b is None else out + b


@pytest.mark.parametrize("lead", [(), (4,), (2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_forward_vs_numpy(lead, bias):
    bil = nn.Bilinear(3, 4, 2, bias=bias)
    x1, x2 = nd.randn(*lead, 3), nd.randn(*lead, 4)
    out = bil(x1, x2)
    assert tuple(bil.weight.shape) == (2, 3, 4) and tuple(out.shape) == lead + (2,)
    b = None if bil.bias is None else np_of(bil.bias)
    np.testing.assert_allclose(np_of(out), bilinear_ref(np_of(x1), np_of(x2), np_of(bil.weight), b),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_gradcheck(bias):
    bil = nn.Bilinear(2, 3, 2, bias=bias, dtype=nd.float64)
    x1 = nd.randn(3, 2, dtype=nd.float64, requires_grad=True)
    x2 = nd.randn(3, 3, dtype=nd.float64, requires_grad=True)
    assert gradcheck(lambda a, b, *ps: bil(a, b), (x1, x2) + tuple(bil.parameters()))


def test_training_step_through_modules():
    # A tiny regression that only works if gradients reach every registered parameter.
    nd.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Linear(8, 1))
    x = nd.randn(32, 3)
    y = (x * nd.tensor([1.0, -2.0, 0.5])).sum(1, keepdim=True)
    losses = []
    for _ in range(50):
        model.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        with nd.no_grad():
            for p in model.parameters():
                p -= 0.05 * p.grad
    assert losses[-1] < 0.05 * losses[0]


# ------------------------------------------------------------------ Parameter
def test_parameter_basics():
    t = nd.randn(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, nd.Tensor) and isinstance(p, nn.Parameter)
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    # Shares storage with its data.
    with nd.no_grad():
        t.add_(1.0)
    np.testing.assert_array_equal(np_of(p), np_of(t))
    assert tuple(nn.Parameter().shape) == (0,)
    r = repr(p)
    assert r.startswith("Parameter containing:\n") and "requires_grad=True" in r
    d = p.data  # a plain tensor over the same storage, outside autograd
    assert type(d) is nd.Tensor and not d.requires_grad
    d.fill_(2.0)
    assert (np_of(p) == 2).all()
    p.data = nd.zeros(4)  # swaps the storage, keeps the parameter
    assert tuple(p.shape) == (4,) and isinstance(p, nn.Parameter) and p.requires_grad
    # Operations on a parameter give plain tensors that track history.
    y = p * 2
    assert type(y) is nd.Tensor and not y.is_leaf


def test_parameter_of_non_leaf_is_leaf():
    x = nd.randn(3, requires_grad=True)
    y = x * 2
    p = nn.Parameter(y)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    (p * 3).sum().backward()
    np.testing.assert_array_equal(np_of(p.grad), [3, 3, 3])
    assert x.grad is None  # no history back to x


def test_parameter_int_dtype_rejects_grad():
    with pytest.raises(TypeError, match="floating point"):
        nn.Parameter(nd.tensor([1, 2]))
    p = nn.Parameter(nd.tensor([1, 2]), requires_grad=False)
    assert p.dtype == nd.int64
