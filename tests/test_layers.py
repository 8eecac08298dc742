"""The layer modules (nn.Conv2d, nn.BatchNorm2d ...): each forward equals the functional call with the
same options, parameters and buffers have PyTorch's names, shapes and initial values, state_dict survives
nativedl.save/load, train/eval switching, the module-only behaviour (padding modes, output_size, running
statistics, DropConnect, fuse_conv_bn) and bad inputs. Loss layers are in test_loss_modules.py."""
import inspect
import math

import numpy as np
import pytest

import nativedl as nd
from nativedl import nn
from nativedl.nn import functional as F
from nativedl.nn.utils import fuse_conv_bn


def t(a, requires_grad=False):
    out = nd.from_numpy(np.ascontiguousarray(a))
    return out.requires_grad_(True) if requires_grad else out


def randn(*shape, seed=0, dtype=np.float32):
    return t(np.random.default_rng(seed).normal(size=shape).astype(dtype))


def np_of(x):
    return x.detach().numpy()


def close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np_of(a) if isinstance(a, nd.Tensor) else a,
                               np_of(b) if isinstance(b, nd.Tensor) else b, rtol=rtol, atol=atol)


def randomize(module, seed=1):
    """Random values in every floating parameter and buffer (so a round trip can't pass by accident)."""
    rng = np.random.default_rng(seed)
    with nd.no_grad():
        for name, v in module.state_dict().items():
            if v.dtype in (nd.float32, nd.float64):
                vals = rng.uniform(0.5, 1.5, size=tuple(v.shape)).astype(np.float32)
                v.copy_(t(vals).to(v.dtype))
    return module


# ---------------------------------------------------------------- forward == functional, per layer
# (name, factory, input shape, the functional call on (module, x) with the same options)
W = lambda m: m.weight  # noqa: E731
B = lambda m: m.bias  # noqa: E731
FORWARD_CASES = [
    ("Conv1d", lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2), (2, 4, 11),
     lambda m, x: F.conv1d(x, W(m), B(m), 2, 1, 2, 1)),
    ("Conv1d-groups-nobias", lambda: nn.Conv1d(4, 8, 3, groups=2, bias=False), (2, 4, 9),
     lambda m, x: F.conv1d(x, W(m), None, 1, 0, 1, 2)),
    ("Conv2d", lambda: nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=(1, 0)), (2, 3, 8, 7),
     lambda m, x: F.conv2d(x, W(m), B(m), (2, 1), (1, 0), 1, 1)),
    ("Conv2d-depthwise", lambda: nn.Conv2d(4, 8, 3, padding=1, groups=4), (2, 4, 6, 6),
     lambda m, x: F.conv2d(x, W(m), B(m), 1, 1, 1, 4)),
    ("Conv2d-same-dilated", lambda: nn.Conv2d(3, 4, 3, padding="same", dilation=2), (1, 3, 7, 8),
     lambda m, x: F.conv2d(x, W(m), B(m), 1, "same", 2, 1)),
    ("Conv2d-valid", lambda: nn.Conv2d(3, 4, 3, padding="valid"), (1, 3, 7, 8),
     lambda m, x: F.conv2d(x, W(m), B(m), 1, 0, 1, 1)),
    ("ConvTranspose1d", lambda: nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1), (2, 4, 5),
     lambda m, x: F.conv_transpose1d(x, W(m), B(m), 2, 1, 1, 1, 1)),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(4, 6, (3, 4), stride=2, padding=1, groups=2, dilation=(1, 2)),
     (2, 4, 5, 4), lambda m, x: F.conv_transpose2d(x, W(m), B(m), 2, 1, 0, 2, (1, 2))),
    ("MaxPool1d", lambda: nn.MaxPool1d(3, 2, 1, ceil_mode=True), (2, 3, 10),
     lambda m, x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True)),
    ("MaxPool2d", lambda: nn.MaxPool2d(3, 2, 1, dilation=2), (2, 3, 9, 9),
     lambda m, x: F.max_pool2d(x, 3, 2, 1, 2)),
    ("AvgPool1d", lambda: nn.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 3, 10),
     lambda m, x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False)),
    ("AvgPool2d", lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, divisor_override=4), (2, 3, 9, 8),
     lambda m, x: F.avg_pool2d(x, 3, 2, 1, True, True, 4)),
    ("AdaptiveAvgPool1d", lambda: nn.AdaptiveAvgPool1d(4), (2, 3, 10), lambda m, x: F.adaptive_avg_pool1d(x, 4)),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5),
     lambda m, x: F.adaptive_avg_pool2d(x, (3, 2))),
    ("AdaptiveMaxPool2d", lambda: nn.AdaptiveMaxPool2d(3), (2, 3, 7, 5), lambda m, x: F.adaptive_max_pool2d(x, 3)),
    ("LPPool2d", lambda: nn.LPPool2d(2, 2), (2, 3, 6, 6), lambda m, x: F.lp_pool2d(x, 2, 2)),
    ("BatchNorm1d-2d", lambda: nn.BatchNorm1d(5).eval(), (4, 5),
     lambda m, x: F.batch_norm(x, m.running_mean, m.running_var, W(m), B(m), False, 0.1, 1e-5)),
    ("BatchNorm1d-3d", lambda: nn.BatchNorm1d(5, eps=1e-3).eval(), (4, 5, 3),
     lambda m, x: F.batch_norm(x, m.running_mean, m.running_var, W(m), B(m), False, 0.1, 1e-3)),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3).eval(), (2, 3, 4, 5),
     lambda m, x: F.batch_norm(x, m.running_mean, m.running_var, W(m), B(m), False, 0.1, 1e-5)),
    ("LayerNorm", lambda: nn.LayerNorm((4, 5), eps=1e-3), (2, 3, 4, 5),
     lambda m, x: F.layer_norm(x, (4, 5), W(m), B(m), 1e-3)),
    ("LayerNorm-nobias", lambda: nn.LayerNorm(5, bias=False), (2, 3, 5),
     lambda m, x: F.layer_norm(x, (5,), W(m), None)),
    ("BatchNorm2d-nobias", lambda: nn.BatchNorm2d(3, bias=False), (2, 3, 4, 5),
     lambda m, x: F.batch_norm(x, None, None, W(m), None, True)),
    ("GroupNorm-nobias", lambda: nn.GroupNorm(3, 6, bias=False), (2, 6, 3), lambda m, x: F.group_norm(x, 3, W(m))),
    ("InstanceNorm2d-nobias", lambda: nn.InstanceNorm2d(3, affine=True, bias=False), (2, 3, 4, 5),
     lambda m, x: F.instance_norm(x, None, None, W(m))),
    ("GroupNorm", lambda: nn.GroupNorm(2, 6, eps=1e-4), (2, 6, 3, 3),
     lambda m, x: F.group_norm(x, 2, W(m), B(m), 1e-4)),
    ("InstanceNorm1d", lambda: nn.InstanceNorm1d(3, affine=True), (2, 3, 7),
     lambda m, x: F.instance_norm(x, None, None, W(m), B(m))),
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(3), (2, 3, 4, 5), lambda m, x: F.instance_norm(x)),
    ("LocalResponseNorm", lambda: nn.LocalResponseNorm(3, 1e-2, 0.5, 2.0), (2, 5, 3, 3),
     lambda m, x: F.local_response_norm(x, 3, 1e-2, 0.5, 2.0)),
    ("Upsample-nearest", lambda: nn.Upsample(scale_factor=2), (1, 2, 3, 4),
     lambda m, x: F.interpolate(x, scale_factor=2.0)),
    ("Upsample-bilinear", lambda: nn.Upsample(size=(5, 7), mode="bilinear", align_corners=True), (1, 2, 3, 4),
     lambda m, x: F.interpolate(x, (5, 7), mode="bilinear", align_corners=True)),
    ("Upsample-bicubic", lambda: nn.Upsample(scale_factor=(2, 1.5), mode="bicubic"), (1, 2, 3, 4),
     lambda m, x: F.interpolate(x, scale_factor=(2.0, 1.5), mode="bicubic")),
    ("UpsamplingNearest2d", lambda: nn.UpsamplingNearest2d(size=(6, 5)), (1, 2, 3, 4),
     lambda m, x: F.interpolate(x, (6, 5))),
    ("UpsamplingBilinear2d", lambda: nn.UpsamplingBilinear2d(scale_factor=2), (1, 2, 3, 4),
     lambda m, x: F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=True)),
    ("PixelShuffle", lambda: nn.PixelShuffle(2), (2, 8, 3, 2), lambda m, x: F.pixel_shuffle(x, 2)),
    ("PixelUnshuffle", lambda: nn.PixelUnshuffle(2), (2, 2, 4, 6), lambda m, x: F.pixel_unshuffle(x, 2)),
    ("ChannelShuffle", lambda: nn.ChannelShuffle(3), (2, 6, 2, 2), lambda m, x: F.channel_shuffle(x, 3)),
    ("Dropout-eval", lambda: nn.Dropout(0.3).eval(), (4, 5), lambda m, x: x),
    ("Dropout2d-eval", lambda: nn.Dropout2d(0.3).eval(), (2, 4, 3, 3), lambda m, x: x),
    ("AlphaDropout-eval", lambda: nn.AlphaDropout(0.3).eval(), (4, 5), lambda m, x: x),
    ("Linear", lambda: nn.Linear(5, 3), (2, 4, 5), lambda m, x: F.linear(x, W(m), B(m))),
    ("Flatten", lambda: nn.Flatten(1, 2), (2, 3, 4, 5), lambda m, x: x.reshape(2, 12, 5)),
    ("PReLU", lambda: nn.PReLU(3, init=0.1), (2, 3, 4), lambda m, x: F.prelu(x, W(m))),
    ("Sigmoid", nn.Sigmoid, (3, 4), lambda m, x: F.sigmoid(x)),
    ("Tanh", nn.Tanh, (3, 4), lambda m, x: F.tanh(x)),
    ("ReLU", nn.ReLU, (3, 4), lambda m, x: F.relu(x)),
    ("ReLU6", nn.ReLU6, (3, 4), lambda m, x: F.relu6(x)),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), (3, 4), lambda m, x: F.leaky_relu(x, 0.2)),
    ("ELU", lambda: nn.ELU(0.7), (3, 4), lambda m, x: F.elu(x, 0.7)),
    ("CELU", lambda: nn.CELU(0.7), (3, 4), lambda m, x: F.celu(x, 0.7)),
    ("SELU", nn.SELU, (3, 4), lambda m, x: F.selu(x)),
    ("GELU", nn.GELU, (3, 4), lambda m, x: F.gelu(x)),
    ("GELU-tanh", lambda: nn.GELU("tanh"), (3, 4), lambda m, x: F.gelu(x, approximate="tanh")),
    ("SiLU", nn.SiLU, (3, 4), lambda m, x: F.silu(x)),
    ("Mish", nn.Mish, (3, 4), lambda m, x: F.mish(x)),
    ("Hardsigmoid", nn.Hardsigmoid, (3, 4), lambda m, x: F.hardsigmoid(x)),
    ("Hardswish", nn.Hardswish, (3, 4), lambda m, x: F.hardswish(x)),
    ("Hardtanh", lambda: nn.Hardtanh(-0.5, 0.7), (3, 4), lambda m, x: F.hardtanh(x, -0.5, 0.7)),
    ("Softplus", lambda: nn.Softplus(2.0, 1.0), (3, 4), lambda m, x: F.softplus(x, 2.0, 1.0)),
    ("Softsign", nn.Softsign, (3, 4), lambda m, x: F.softsign(x)),
    ("LogSigmoid", nn.LogSigmoid, (3, 4), lambda m, x: F.logsigmoid(x)),
    ("Softmax", lambda: nn.Softmax(0), (3, 4), lambda m, x: F.softmax(x, 0)),
    ("LogSoftmax", lambda: nn.LogSoftmax(1), (3, 4), lambda m, x: F.log_softmax(x, 1)),
    ("Softmin", lambda: nn.Softmin(-1), (3, 4), lambda m, x: F.softmin(x, -1)),
    ("GLU", lambda: nn.GLU(0), (4, 3), lambda m, x: F.glu(x, 0)),
]


@pytest.mark.parametrize("name,factory,shape,functional", FORWARD_CASES, ids=[c[0] for c in FORWARD_CASES])
def test_forward_equals_functional(name, factory, shape, functional):
    nd.manual_seed(0)
    m = factory()
    x = randn(*shape, seed=3) * 4  # large enough to reach ReLU6's and Hardtanh's upper clamps
    close(m(x), functional(m, x))


@pytest.mark.parametrize("name,factory,shape,functional", FORWARD_CASES, ids=[c[0] for c in FORWARD_CASES])
def test_state_dict_round_trip_through_save_load(name, factory, shape, functional, tmp_path):
    nd.manual_seed(0)
    m = randomize(factory())
    nd.manual_seed(1)
    fresh = factory()
    path = tmp_path / "layer.ndl"
    nd.save(m.state_dict(), str(path))
    sd = nd.load(str(path))
    assert list(sd) == list(m.state_dict())
    fresh.load_state_dict(sd)
    for k, v in m.state_dict().items():
        got = fresh.state_dict()[k]
        assert got.dtype == v.dtype and tuple(got.shape) == tuple(v.shape), k
        np.testing.assert_array_equal(np_of(got), np_of(v), err_msg=k)
    m.eval()
    fresh.eval()
    x = randn(*shape, seed=4)
    np.testing.assert_array_equal(np_of(fresh(x)), np_of(m(x)))


# ---------------------------------------------------------------- names, shapes, initial values
def _bound_check(w, bound):
    """All values in [-bound, bound], and spread over it (a uniform init, not a constant)."""
    a = np_of(w)
    assert np.all(np.abs(a) <= bound * (1 + 1e-6))
    assert a.max() > 0.5 * bound and a.min() < -0.5 * bound


@pytest.mark.parametrize("cls,args,kw,wshape,fan_in", [
    (nn.Conv1d, (4, 6, 3), {}, (6, 4, 3), 12),
    (nn.Conv2d, (4, 6, (3, 2)), {"groups": 2}, (6, 2, 3, 2), 12),
    (nn.Conv2d, (8, 8, 3), {"groups": 8}, (8, 1, 3, 3), 9),
    (nn.ConvTranspose1d, (4, 6, 3), {}, (4, 6, 3), 18),
    (nn.ConvTranspose2d, (4, 6, 3), {"groups": 2}, (4, 3, 3, 3), 27),
])
def test_conv_parameters_and_kaiming_uniform_init(cls, args, kw, wshape, fan_in):
    nd.manual_seed(0)
    m = cls(*args, **kw)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert tuple(m.weight.shape) == wshape and tuple(m.bias.shape) == (args[1],)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    # kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / (1 + 5)), bound gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in);
    # the bias is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) too.
    _bound_check(m.weight, 1 / math.sqrt(fan_in))
    assert np.all(np.abs(np_of(m.bias)) <= 1 / math.sqrt(fan_in))
    assert list(m.state_dict()) == ["weight", "bias"]
    nb = cls(*args, **kw, bias=False)
    assert nb.bias is None and [n for n, _ in nb.named_parameters()] == ["weight"]


def test_linear_and_bilinear_init():
    nd.manual_seed(0)
    lin = nn.Linear(50, 40)
    _bound_check(lin.weight, 1 / math.sqrt(50))
    _bound_check(lin.bias, 1 / math.sqrt(50))
    bil = nn.Bilinear(30, 4, 50)
    assert tuple(bil.weight.shape) == (50, 30, 4)
    _bound_check(bil.weight, 1 / math.sqrt(30))
    _bound_check(bil.bias, 1 / math.sqrt(30))


@pytest.mark.parametrize("cls", [nn.BatchNorm1d, nn.BatchNorm2d])
def test_batchnorm_parameters_and_buffers(cls):
    m = cls(4)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in m.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    np.testing.assert_array_equal(np_of(m.weight), np.ones(4))
    np.testing.assert_array_equal(np_of(m.bias), np.zeros(4))
    np.testing.assert_array_equal(np_of(m.running_mean), np.zeros(4))
    np.testing.assert_array_equal(np_of(m.running_var), np.ones(4))
    assert m.num_batches_tracked.dtype == nd.int64 and m.num_batches_tracked.ndim == 0
    assert m.num_batches_tracked.item() == 0
    assert not m.running_mean.requires_grad
    plain = cls(4, affine=False, track_running_stats=False)
    assert list(plain.named_parameters()) == [] and list(plain.state_dict()) == []
    assert plain.weight is None and plain.running_mean is None and plain.num_batches_tracked is None
    nobias = cls(4, bias=False)
    assert list(nobias.state_dict()) == ["weight", "running_mean", "running_var", "num_batches_tracked"]
    assert nobias.bias is None
    # reset_running_stats restores the initial values.
    m.running_mean.fill_(3.0)
    m.num_batches_tracked.fill_(7)
    m.reset_running_stats()
    assert m.num_batches_tracked.item() == 0 and np_of(m.running_mean).max() == 0


def test_norm_layers_parameters():
    ln = nn.LayerNorm((3, 4))
    assert tuple(ln.weight.shape) == (3, 4) and np_of(ln.weight).min() == 1 and np_of(ln.bias).max() == 0
    assert ln.normalized_shape == (3, 4)
    assert nn.LayerNorm(4, bias=False).bias is None
    assert list(nn.LayerNorm(4, elementwise_affine=False).state_dict()) == []
    gn = nn.GroupNorm(2, 6)
    assert list(gn.state_dict()) == ["weight", "bias"] and np_of(gn.weight).min() == 1
    assert list(nn.GroupNorm(2, 6, affine=False).state_dict()) == []
    assert list(nn.GroupNorm(2, 6, bias=False).state_dict()) == ["weight"]
    inn = nn.InstanceNorm2d(3)
    assert list(inn.state_dict()) == [] and inn.running_mean is None
    inn = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert list(inn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def test_prelu_parameters():
    m = nn.PReLU()
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    np.testing.assert_array_equal(np_of(m.weight), [0.25])
    m = nn.PReLU(3, init=0.1)
    np.testing.assert_allclose(np_of(m.weight), [0.1] * 3, rtol=1e-6)
    assert m.weight.dtype == nd.get_default_dtype()


# ---------------------------------------------------------------- train / eval
def test_train_eval_switching():
    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Dropout(0.5))
    assert net.training and all(m.training for m in net.modules())
    net.eval()
    assert not any(m.training for m in net.modules())
    x = randn(2, 2, 5, 5)
    a, b = net(x), net(x)
    np.testing.assert_array_equal(np_of(a), np_of(b))  # deterministic in eval
    assert net[1].num_batches_tracked.item() == 0  # eval doesn't touch the statistics
    net.train()
    assert all(m.training for m in net.modules())
    net(x)
    assert net[1].num_batches_tracked.item() == 1


# ---------------------------------------------------------------- convolution options
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_conv2d_padding_modes_equal_pad_then_conv(mode, padding):
    nd.manual_seed(0)
    m = nn.Conv2d(2, 3, (3, 4) if padding == "same" else 3, padding=padding, padding_mode=mode,
                  dilation=(2, 1) if padding == "same" else 1)
    x = randn(2, 2, 6, 7)
    if padding == "same":  # total d*(k-1): 4 rows (2 + 2), 3 columns (1 left, 2 right)
        pads = [1, 2, 2, 2]
    else:
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        pads = [pw, pw, ph, ph]
    ref = F.conv2d(F.pad(x, pads, mode=mode), m.weight, m.bias, 1, 0, m.dilation)
    out = m(x)
    close(out, ref)
    if padding == "same":
        assert tuple(out.shape) == (2, 3, 6, 7)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv1d_padding_modes(mode):
    nd.manual_seed(0)
    m = nn.Conv1d(2, 3, 3, padding=2, padding_mode=mode)
    x = randn(2, 2, 6)
    close(m(x), F.conv1d(F.pad(x, [2, 2], mode=mode), m.weight, m.bias))


def test_conv2d_same_padding_with_dilation_vs_numpy():
    nd.manual_seed(0)
    m = nn.Conv2d(1, 1, 3, padding="same", dilation=2, bias=False)
    xa = np.random.default_rng(0).normal(size=(1, 1, 5, 6)).astype(np.float32)
    w = np_of(m.weight)[0, 0]
    padded = np.pad(xa[0, 0], 2)
    ref = np.zeros((5, 6), np.float32)
    for i in range(5):
        for j in range(6):
            ref[i, j] = sum(w[a, b] * padded[i + 2 * a, j + 2 * b] for a in range(3) for b in range(3))
    np.testing.assert_allclose(np_of(m(t(xa)))[0, 0], ref, rtol=1e-5, atol=1e-6)


def test_conv_transpose2d_output_size():
    nd.manual_seed(0)
    m = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    x = randn(1, 3, 4, 5)
    # (i - 1) * 2 - 2 + 3 = 2i - 1: 7 x 9 without output_padding, up to 8 x 10 with it.
    assert tuple(m(x).shape) == (1, 2, 7, 9)
    for size, op in [((7, 9), (0, 0)), ((8, 10), (1, 1)), ((8, 9), (1, 0)), ([1, 2, 7, 10], (0, 1))]:
        out = m(x, output_size=size)
        assert tuple(out.shape)[-2:] == tuple(size)[-2:]
        close(out, F.conv_transpose2d(x, m.weight, m.bias, 2, 1, op))
    for bad in [(6, 9), (9, 9), (7, 11)]:
        with pytest.raises(ValueError, match=r"\[ConvTranspose2d\] requested an output size of .*valid sizes range"):
            m(x, output_size=bad)
    with pytest.raises(ValueError, match=r"output_size must have 2 or 4 elements \(got 3\)"):
        m(x, output_size=(2, 7, 9))


def test_conv_transpose1d_output_size():
    nd.manual_seed(0)
    m = nn.ConvTranspose1d(2, 2, 4, stride=3)
    x = randn(1, 2, 5)
    assert tuple(m(x, output_size=[16]).shape) == (1, 2, 16)  # (5 - 1) * 3 + 4 = 16 .. 18
    assert tuple(m(x, output_size=[18]).shape) == (1, 2, 18)
    with pytest.raises(ValueError, match="valid sizes range from 16 to 18"):
        m(x, output_size=[19])


# ---------------------------------------------------------------- batch norm running statistics
def _np_bn_train(x, weight, bias, eps):
    axes = (0,) + tuple(range(2, x.ndim))
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    n = x.size // x.shape[1]
    return y * weight.reshape(shape) + bias.reshape(shape), mean, var * n / (n - 1)


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm2d, (4, 3, 5, 2)), (nn.BatchNorm1d, (6, 3)),
                                       (nn.BatchNorm1d, (4, 3, 5))])
@pytest.mark.parametrize("momentum", [0.1, 0.7, None])
def test_batchnorm_running_statistics_over_steps(cls, shape, momentum):
    m = cls(3, momentum=momentum)
    with nd.no_grad():
        m.weight.copy_(t(np.array([1.5, 0.5, 2.0], np.float32)))
        m.bias.copy_(t(np.array([0.1, -0.2, 0.3], np.float32)))
    rm, rv = np.zeros(3), np.ones(3)
    rng = np.random.default_rng(0)
    batch_means = []
    batch_vars = []
    for step in range(1, 5):
        xa = rng.normal(loc=step, scale=step, size=shape).astype(np.float32)
        ref, mean, uvar = _np_bn_train(xa.astype(np.float64), np_of(m.weight), np_of(m.bias), 1e-5)
        batch_means.append(mean)
        batch_vars.append(uvar)
        out = m(t(xa))
        np.testing.assert_allclose(np_of(out), ref, rtol=1e-4, atol=1e-4)
        if momentum is None:  # cumulative average of the batches so far (the initial 0 / 1 drop out)
            rm, rv = np.mean(batch_means, axis=0), np.mean(batch_vars, axis=0)
        else:
            rm = (1 - momentum) * rm + momentum * mean
            rv = (1 - momentum) * rv + momentum * uvar
        assert m.num_batches_tracked.item() == step
        np.testing.assert_allclose(np_of(m.running_mean), rm, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np_of(m.running_var), rv, rtol=1e-5, atol=1e-5)
    # Eval normalizes with the running statistics and leaves them alone.
    m.eval()
    xa = rng.normal(size=shape).astype(np.float32)
    sh = (1, -1) + (1,) * (len(shape) - 2)
    ref = ((xa - rm.reshape(sh)) / np.sqrt(rv.reshape(sh) + 1e-5) * np_of(m.weight).reshape(sh)
           + np_of(m.bias).reshape(sh))
    np.testing.assert_allclose(np_of(m(t(xa))), ref, rtol=1e-4, atol=1e-5)
    assert m.num_batches_tracked.item() == 4
    np.testing.assert_allclose(np_of(m.running_mean), rm, rtol=1e-5, atol=1e-5)


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    m = nn.BatchNorm2d(3, track_running_stats=False)
    xa = np.random.default_rng(0).normal(size=(4, 3, 2, 2)).astype(np.float32)
    ref, _, _ = _np_bn_train(xa.astype(np.float64), np.ones(3), np.zeros(3), 1e-5)
    np.testing.assert_allclose(np_of(m(t(xa))), ref, rtol=1e-4, atol=1e-5)
    m.eval()
    np.testing.assert_allclose(np_of(m(t(xa))), ref, rtol=1e-4, atol=1e-5)


def test_batchnorm_gradients_reach_affine_parameters():
    m = nn.BatchNorm2d(3)
    x = randn(4, 3, 2, 2, seed=1).requires_grad_()
    (m(x) * randn(4, 3, 2, 2, seed=2)).sum().backward()
    assert m.weight.grad is not None and m.bias.grad is not None and x.grad is not None
    assert m.running_mean.grad is None


# ---------------------------------------------------------------- instance / group / layer norm options
def _np_norm(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def test_instance_norm_vs_numpy_and_running_stats():
    xa = np.random.default_rng(0).normal(size=(2, 3, 4, 5)) * 3 + 1
    m = nn.InstanceNorm2d(3)
    np.testing.assert_allclose(np_of(m(t(xa))), _np_norm(xa, (2, 3), 1e-5), rtol=1e-6, atol=1e-6)
    # Unbatched (C, H, W) input.
    np.testing.assert_allclose(np_of(m(t(xa[0]))), _np_norm(xa[:1], (2, 3), 1e-5)[0], rtol=1e-6, atol=1e-6)
    m = nn.InstanceNorm1d(3, affine=True, track_running_stats=True, momentum=0.5)
    with nd.no_grad():
        m.weight.copy_(t(np.array([2.0, 1.0, 0.5], np.float32)))
    xa = np.random.default_rng(1).normal(size=(2, 3, 6)).astype(np.float32)
    ref = _np_norm(xa.astype(np.float64), (2,), 1e-5) * np.array([2.0, 1.0, 0.5]).reshape(1, 3, 1)
    np.testing.assert_allclose(np_of(m(t(xa))), ref, rtol=1e-4, atol=1e-5)
    # The running statistics average the per-instance statistics over the batch.
    mean = xa.mean(axis=2).mean(0)
    uvar = xa.var(axis=2, ddof=1).mean(0)
    np.testing.assert_allclose(np_of(m.running_mean), 0.5 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np_of(m.running_var), 0.5 + 0.5 * uvar, rtol=1e-5, atol=1e-6)
    m.eval()  # uses the running statistics
    ref = ((xa - np_of(m.running_mean).reshape(1, 3, 1)) / np.sqrt(np_of(m.running_var).reshape(1, 3, 1) + 1e-5)
           * np.array([2.0, 1.0, 0.5]).reshape(1, 3, 1))
    np.testing.assert_allclose(np_of(m(t(xa))), ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("groups", [1, 2, 6])
def test_group_norm_vs_numpy(groups):
    xa = np.random.default_rng(0).normal(size=(2, 6, 3, 2))
    m = nn.GroupNorm(groups, 6, eps=1e-3).double()
    with nd.no_grad():
        m.weight.copy_(t(np.linspace(0.5, 2, 6)))
        m.bias.copy_(t(np.linspace(-1, 1, 6)))
    ref = _np_norm(xa.reshape(2, groups, -1), (2,), 1e-3).reshape(xa.shape)
    ref = ref * np.linspace(0.5, 2, 6).reshape(1, 6, 1, 1) + np.linspace(-1, 1, 6).reshape(1, 6, 1, 1)
    np.testing.assert_allclose(np_of(m(t(xa))), ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, True)])
def test_layer_norm_options_vs_numpy(affine, bias):
    xa = np.random.default_rng(0).normal(size=(2, 3, 4))
    m = nn.LayerNorm([3, 4], eps=1e-4, elementwise_affine=affine, bias=bias).double()
    ref = _np_norm(xa, (1, 2), 1e-4)
    if affine:
        w = np.random.default_rng(1).normal(size=(3, 4))
        with nd.no_grad():
            m.weight.copy_(t(w))
        ref = ref * w
        if bias:
            with nd.no_grad():
                m.bias.fill_(0.5)
            ref = ref + 0.5
    np.testing.assert_allclose(np_of(m(t(xa))), ref, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------- dropout and DropConnect
def test_dropout_layers_train_vs_eval():
    x = nd.ones(10_000)
    for cls in (nn.Dropout, nn.AlphaDropout):
        m = cls(0.4)
        nd.manual_seed(5)
        y = m(x)
        nd.manual_seed(5)
        ref = F.dropout(x, 0.4) if cls is nn.Dropout else F.alpha_dropout(x, 0.4, True)
        np.testing.assert_array_equal(np_of(y), np_of(ref))
        assert (np_of(y) != 1).mean() > 0.3
        m.eval()
        np.testing.assert_array_equal(np_of(m(x)), np_of(x))
    m = nn.Dropout2d(0.5)
    x4 = nd.ones(4, 50, 3, 3)
    nd.manual_seed(2)
    y = np_of(m(x4))
    nd.manual_seed(2)
    np.testing.assert_array_equal(y, np_of(F.dropout2d(x4, 0.5)))
    per_channel = y.reshape(4, 50, 9)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))  # whole channels dropped or kept
    m.eval()
    np.testing.assert_array_equal(np_of(m(x4)), np_of(x4))


def test_dropout_inplace_returns_the_input():
    x = nd.ones(100)
    m = nn.Dropout(0.5, inplace=True)
    nd.manual_seed(0)
    y = m(x)
    assert y is x
    assert (np_of(x) == 0).any()


def test_dropout_bad_probability():
    for cls in (nn.Dropout, nn.Dropout2d, nn.AlphaDropout, lambda p: nn.DropConnect(nn.Linear(2, 2), p)):
        with pytest.raises(ValueError, match="probability has to be between 0 and 1, but got 1.5"):
            cls(1.5)


def test_dropconnect_masks_weights_not_outputs():
    nd.manual_seed(0)
    lin = nn.Linear(6, 5)
    dc = nn.DropConnect(lin, p=0.5)
    x = randn(4, 6, seed=2)
    nd.manual_seed(11)
    y = dc(x)
    nd.manual_seed(11)
    dropped = F.dropout(lin.weight, 0.5, True)
    close(y, F.linear(x, dropped, lin.bias))
    # Weights dropped, not outputs: some weight entries are zero, while (bias aside) an output is a sum over
    # kept weights, which an output mask (zeroing whole outputs) would not reproduce.
    assert (np_of(dropped) == 0).any()
    assert not np.allclose(np_of(y), np_of(F.dropout(F.linear(x, lin.weight, lin.bias), 0.5, True)))
    # The layer keeps its own weight; gradients flow to it through the mask.
    assert lin.weight is lin._parameters["weight"] and isinstance(lin.weight, nn.Parameter)
    y.sum().backward()
    mask = np_of(dropped) != 0
    g = np_of(lin.weight.grad)
    assert np.all(g[~mask] == 0) and np.any(g[mask] != 0)
    # Eval: the plain layer, deterministic.
    dc.eval()
    np.testing.assert_array_equal(np_of(dc(x)), np_of(lin(x)))
    assert [n for n, _ in dc.named_parameters()] == ["module.weight", "module.bias"]


def test_dropconnect_wraps_conv_and_rejects_weightless():
    nd.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3)
    dc = nn.DropConnect(conv, 0.3)
    x = randn(1, 2, 5, 5)
    nd.manual_seed(4)
    y = dc(x)
    nd.manual_seed(4)
    close(y, F.conv2d(x, F.dropout(conv.weight, 0.3, True), conv.bias))
    with pytest.raises(TypeError, match=r"\[DropConnect\] the wrapped module must have a 'weight' parameter"):
        nn.DropConnect(nn.ReLU())


# ---------------------------------------------------------------- fuse_conv_bn
@pytest.mark.parametrize("groups,bias,affine", [(1, True, True), (2, False, True), (4, True, False),
                                                (1, False, True)])
def test_fuse_conv_bn_matches_conv_then_bn(groups, bias, affine):
    nd.manual_seed(0)
    conv = nn.Conv2d(4, 8, 3, padding=1, groups=groups, bias=bias)
    bn = nn.BatchNorm2d(8, affine=affine)
    for _ in range(3):  # give the running statistics non-trivial values
        bn(conv(randn(4, 4, 5, 5, seed=_) * 2 + 1))
    if affine:
        with nd.no_grad():
            bn.weight.copy_(randn(8, seed=7))
            bn.bias.copy_(randn(8, seed=8))
    conv.eval()
    bn.eval()
    fused = fuse_conv_bn(conv, bn)
    x = randn(2, 4, 6, 6, seed=9)
    close(fused(x), bn(conv(x)), rtol=1e-5, atol=1e-5)
    assert fused is not conv and isinstance(fused.bias, nn.Parameter)
    assert fused.groups == groups and (conv.bias is None) == (not bias)  # conv itself untouched


def test_fuse_conv_bn_errors():
    conv, bn = nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"\[fuse_conv_bn\] fusion is only valid in eval mode"):
        fuse_conv_bn(conv, bn)
    with pytest.raises(ValueError, match=r"batch norm has 4 features but the conv has 3 output channels"):
        fuse_conv_bn(conv.eval(), nn.BatchNorm2d(4).eval())
    with pytest.raises(ValueError, match="track_running_stats=False"):
        fuse_conv_bn(conv.eval(), nn.BatchNorm2d(3, track_running_stats=False).eval())


# ---------------------------------------------------------------- resampling vs NumPy
def test_upsample_pixel_shuffle_channel_shuffle_vs_numpy():
    xa = np.arange(2 * 8 * 2 * 3, dtype=np.float32).reshape(2, 8, 2, 3)
    np.testing.assert_array_equal(np_of(nn.Upsample(scale_factor=2)(t(xa))), xa.repeat(2, 2).repeat(2, 3))
    r = 2
    ref = xa.reshape(2, 2, r, r, 2, 3).transpose(0, 1, 4, 2, 5, 3).reshape(2, 2, 4, 6)
    np.testing.assert_array_equal(np_of(nn.PixelShuffle(r)(t(xa))), ref)
    np.testing.assert_array_equal(np_of(nn.PixelUnshuffle(r)(t(ref))), xa)
    ref = xa.reshape(2, 4, 2, 2, 3).transpose(0, 2, 1, 3, 4).reshape(xa.shape)
    np.testing.assert_array_equal(np_of(nn.ChannelShuffle(4)(t(xa))), ref)


# ---------------------------------------------------------------- activations
INPLACE_ACTIVATIONS = [
    (lambda: nn.ReLU(inplace=True), lambda x: np.maximum(x, 0)),
    (lambda: nn.ReLU6(inplace=True), lambda x: np.clip(x, 0, 6)),
    (lambda: nn.LeakyReLU(0.1, inplace=True), lambda x: np.where(x > 0, x, 0.1 * x)),
    (lambda: nn.ELU(inplace=True), lambda x: np.where(x > 0, x, np.expm1(x))),
    (lambda: nn.CELU(2.0, inplace=True), lambda x: np.where(x > 0, x, 2.0 * np.expm1(x / 2.0))),
    (lambda: nn.SELU(inplace=True),
     lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    (lambda: nn.SiLU(inplace=True), lambda x: x / (1 + np.exp(-x))),
    (lambda: nn.Mish(inplace=True), lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    (lambda: nn.Hardsigmoid(inplace=True), lambda x: np.clip(x + 3, 0, 6) / 6),
    (lambda: nn.Hardswish(inplace=True), lambda x: x * np.clip(x + 3, 0, 6) / 6),
    (lambda: nn.Hardtanh(-2.0, 2.0, inplace=True), lambda x: np.clip(x, -2, 2)),
    (lambda: nn.Dropout(0.0, inplace=True), lambda x: x),
]


@pytest.mark.parametrize("factory,ref", INPLACE_ACTIVATIONS)
def test_inplace_activation_modules_write_into_the_input(factory, ref):
    xa = np.linspace(-8, 8, 33)
    x = t(xa.copy())
    m = factory()
    assert m.inplace
    y = m(x)
    assert y is x
    np.testing.assert_allclose(np_of(x), ref(xa), rtol=1e-7, atol=1e-12)
    # The out-of-place form leaves its input alone.
    m.inplace = False
    x = t(xa.copy())
    np.testing.assert_allclose(np_of(m(x)), ref(xa), rtol=1e-7, atol=1e-12)
    np.testing.assert_array_equal(np_of(x), xa)


def test_inplace_activation_after_a_layer_backpropagates():
    nd.manual_seed(0)
    lin = nn.Linear(3, 4)
    x = randn(5, 3, seed=1)
    y = nn.ReLU(inplace=True)(lin(x))
    y.sum().backward()
    mask = (np_of(lin(x)) > 0).astype(np.float32)
    np.testing.assert_allclose(np_of(lin.bias.grad), mask.sum(0), rtol=1e-6)
    # The usual conv -> batch norm -> ReLU(inplace=True) block.
    block = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(inplace=True))
    ref = nn.Sequential(*[block[0], block[1], nn.ReLU()])
    x = randn(2, 2, 5, 5, seed=2)
    block(x).sum().backward()
    g = np_of(block[0].weight.grad).copy()
    block.zero_grad()
    ref(x).sum().backward()
    np.testing.assert_allclose(np_of(block[0].weight.grad), g, rtol=1e-5, atol=1e-6)


def test_prelu_vs_numpy_and_gradient():
    m = nn.PReLU(3)
    xa = np.random.default_rng(0).normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(np_of(m(t(xa))), np.where(xa > 0, xa, 0.25 * xa), rtol=1e-6)
    m(t(xa)).sum().backward()
    np.testing.assert_allclose(np_of(m.weight.grad), np.minimum(xa, 0).sum(axis=(0, 2)), rtol=1e-5)
    shared = nn.PReLU()
    np.testing.assert_allclose(np_of(shared(t(xa))), np.where(xa > 0, xa, 0.25 * xa), rtol=1e-6)


@pytest.mark.parametrize("pieces,dim,shape", [(2, 1, (3, 8)), (3, 1, (2, 6, 2, 2)), (4, -1, (2, 3, 8))])
def test_maxout_vs_numpy(pieces, dim, shape):
    xa = np.random.default_rng(0).normal(size=shape)
    d = dim % len(shape)
    ref = xa.reshape(shape[:d] + (shape[d] // pieces, pieces) + shape[d + 1:]).max(axis=d + 1)
    m = nn.Maxout(pieces, dim)
    np.testing.assert_array_equal(np_of(m(t(xa))), ref)
    x = t(xa, True)
    m(x).sum().backward()
    # The gradient goes to each group's max only.
    g = np_of(x.grad).reshape(shape[:d] + (shape[d] // pieces, pieces) + shape[d + 1:])
    np.testing.assert_array_equal(g.sum(axis=d + 1), np.ones(ref.shape))
    with pytest.raises(ValueError, match=r"\[Maxout\] input \(3, 7\) has 7 features in dim 1, not divisible by "
                                         r"pieces=2"):
        nn.Maxout(2)(randn(3, 7))
    with pytest.raises(ValueError, match="pieces must be positive"):
        nn.Maxout(0)


def test_maxout_after_linear_is_max_of_pieces():
    nd.manual_seed(0)
    lin = nn.Linear(4, 6)
    x = randn(5, 4, seed=1)
    y = nn.Maxout(3)(lin(x))
    z = np_of(lin(x)).reshape(5, 2, 3)
    np.testing.assert_allclose(np_of(y), z.max(-1), rtol=1e-6)


# ---------------------------------------------------------------- bad inputs
def test_conv_wrong_channels_names_expected_and_got():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"\[conv2d\] input \(1, 5, 6, 6\) has 5 channels but weight "
                                         r"\(4, 3, 3, 3\) expects 3"):
        conv(randn(1, 5, 6, 6))
    with pytest.raises(ValueError, match=r"\[conv_transpose2d\].*5.*3|\[conv_transpose2d\].*3.*5"):
        nn.ConvTranspose2d(3, 4, 3)(randn(1, 5, 6, 6))
    with pytest.raises(ValueError, match=r"5") as e:
        nn.BatchNorm2d(3)(randn(2, 5, 2, 2))
    assert "num_features=3" in str(e.value)
    with pytest.raises(ValueError, match=r"in_features=3"):
        nn.Linear(3, 2)(randn(2, 4))


@pytest.mark.parametrize("kw,msg", [
    ({"groups": 2, "in_channels": 3}, r"in_channels \(3\) and out_channels \(4\) must both be divisible by groups \(2\)"),
    ({"groups": 3, "out_channels": 4, "in_channels": 6}, r"in_channels \(6\) and out_channels \(4\) must both be "
                                                          r"divisible by groups \(3\)"),
    ({"groups": 0}, r"groups must be a positive integer, got 0"),
    ({"padding": -1}, r"negative padding is not supported, got -1"),
    ({"padding": (1, -2)}, r"negative padding"),
    ({"padding": "full"}, r"invalid padding string 'full', should be one of 'valid', 'same'"),
    ({"padding": "same", "stride": 2}, r"padding='same' is not supported for strided convolutions"),
    ({"padding_mode": "mirror"}, r"padding_mode must be one of"),
])
def test_conv_constructor_errors(kw, msg):
    args = {"in_channels": 4, "out_channels": 4, "kernel_size": 3}
    args.update(kw)
    with pytest.raises(ValueError, match=r"\[Conv2d\] " + msg):
        nn.Conv2d(**args)


def test_conv_transpose_constructor_errors():
    with pytest.raises(ValueError, match=r"\[ConvTranspose2d\] only \"zeros\" padding mode"):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"\[ConvTranspose2d\] padding must be an int"):
        nn.ConvTranspose2d(2, 2, 3, padding="same")
    with pytest.raises(ValueError, match=r"divisible by groups"):
        nn.ConvTranspose2d(3, 4, 3, groups=2)


def test_wrong_ranks():
    with pytest.raises(ValueError, match=r"\[BatchNorm2d\] expected 4D input, got 3D input of shape \(2, 3, 4\)"):
        nn.BatchNorm2d(3)(randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"\[BatchNorm1d\] expected 2D or 3D input, got 4D input"):
        nn.BatchNorm1d(3)(randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"\[InstanceNorm2d\] expected 3D or 4D input, got 2D input"):
        nn.InstanceNorm2d(3)(randn(3, 4))
    with pytest.raises(ValueError, match=r"conv2d"):
        nn.Conv2d(3, 4, 3)(randn(3, 5))


def test_batchnorm_one_value_per_channel_in_training():
    m = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training"):
        m(randn(1, 3))
    with pytest.raises(ValueError, match=r"more than 1 value per channel"):
        nn.BatchNorm2d(3)(randn(1, 3, 1, 1))
    assert m.num_batches_tracked.item() == 0  # a refused batch changes no buffer
    np.testing.assert_array_equal(np_of(m.running_mean), np.zeros(3))
    m.eval()
    assert tuple(m(randn(1, 3)).shape) == (1, 3)  # fine in eval: running statistics


def test_group_norm_non_divisible():
    with pytest.raises(ValueError, match=r"\[GroupNorm\] num_channels \(5\) must be divisible by num_groups \(2\)"):
        nn.GroupNorm(2, 5)


# ---------------------------------------------------------------- repr
REPRS = [
    (lambda m: m.Conv2d(3, 8, 3), "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"),
    (lambda m: m.Conv2d(3, 8, (3, 1), stride=2, padding=(1, 0), dilation=2, groups=1, bias=False,
                        padding_mode="reflect"),
     "Conv2d(3, 8, kernel_size=(3, 1), stride=(2, 2), padding=(1, 0), dilation=(2, 2), bias=False, "
     "padding_mode=reflect)"),
    (lambda m: m.Conv2d(4, 8, 3, padding="same", groups=4),
     "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=4)"),
    (lambda m: m.Conv1d(2, 4, 5, padding=2), "Conv1d(2, 4, kernel_size=(5,), stride=(1,), padding=(2,))"),
    (lambda m: m.ConvTranspose2d(4, 2, 4, stride=2, padding=1, output_padding=1),
     "ConvTranspose2d(4, 2, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))"),
    (lambda m: m.BatchNorm2d(16), "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"),
    (lambda m: m.BatchNorm1d(4, momentum=None, affine=False),
     "BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, bias=False, track_running_stats=True)"),
    (lambda m: m.BatchNorm2d(4, bias=False),
     "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=False, track_running_stats=True)"),
    (lambda m: m.InstanceNorm2d(3), "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                                          "track_running_stats=False)"),
    (lambda m: m.LayerNorm(4), "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"),
    (lambda m: m.LayerNorm([2, 3], bias=False), "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True, bias=False)"),
    (lambda m: m.GroupNorm(2, 4), "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"),
    (lambda m: m.GroupNorm(2, 4, bias=False), "GroupNorm(2, 4, eps=1e-05, affine=True, bias=False)"),
    (lambda m: m.LocalResponseNorm(2), "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)"),
    (lambda m: m.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (lambda m: m.AvgPool2d(3, 2, 1), "AvgPool2d(kernel_size=3, stride=2, padding=1)"),
    (lambda m: m.AdaptiveAvgPool2d(1), "AdaptiveAvgPool2d(output_size=1)"),
    (lambda m: m.AdaptiveMaxPool2d((2, 3)), "AdaptiveMaxPool2d(output_size=(2, 3))"),
    (lambda m: m.LPPool2d(2, 3), "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"),
    (lambda m: m.Dropout(), "Dropout(p=0.5, inplace=False)"),
    (lambda m: m.Dropout2d(0.2, True), "Dropout2d(p=0.2, inplace=True)"),
    (lambda m: m.Upsample(scale_factor=2, mode="bilinear"), "Upsample(scale_factor=2.0, mode='bilinear')"),
    (lambda m: m.Upsample(size=(4, 5)), "Upsample(size=(4, 5), mode='nearest')"),
    (lambda m: m.Upsample(scale_factor=(2, 3)), "Upsample(scale_factor=(2.0, 3.0), mode='nearest')"),
    (lambda m: m.PixelShuffle(3), "PixelShuffle(upscale_factor=3)"),
    (lambda m: m.PixelUnshuffle(3), "PixelUnshuffle(downscale_factor=3)"),
    (lambda m: m.ChannelShuffle(2), "ChannelShuffle(groups=2)"),
    (lambda m: m.ReLU(), "ReLU()"),
    (lambda m: m.ReLU(inplace=True), "ReLU(inplace=True)"),
    (lambda m: m.ReLU6(), "ReLU6()"),
    (lambda m: m.LeakyReLU(0.2, True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
    (lambda m: m.PReLU(3), "PReLU(num_parameters=3)"),
    (lambda m: m.ELU(), "ELU(alpha=1.0)"),
    (lambda m: m.CELU(0.5), "CELU(alpha=0.5)"),
    (lambda m: m.SELU(), "SELU()"),
    (lambda m: m.SELU(inplace=True), "SELU(inplace=True)"),
    (lambda m: m.SiLU(inplace=True), "SiLU(inplace=True)"),
    (lambda m: m.Mish(), "Mish()"),
    (lambda m: m.Hardswish(), "Hardswish()"),
    (lambda m: m.Hardsigmoid(inplace=True), "Hardsigmoid()"),
    (lambda m: m.GELU(), "GELU(approximate='none')"),
    (lambda m: m.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (lambda m: m.Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
    (lambda m: m.Softmax(dim=1), "Softmax(dim=1)"),
    (lambda m: m.LogSoftmax(), "LogSoftmax(dim=None)"),
    (lambda m: m.GLU(), "GLU(dim=-1)"),
    (lambda m: m.Sigmoid(), "Sigmoid()"),
    (lambda m: m.Tanh(), "Tanh()"),
    (lambda m: m.Linear(3, 2), "Linear(in_features=3, out_features=2, bias=True)"),
    (lambda m: m.Flatten(), "Flatten(start_dim=1, end_dim=-1)"),
]


@pytest.mark.parametrize("build,expected", REPRS, ids=[r[1].split("(")[0] + str(i) for i, r in enumerate(REPRS)])
def test_repr_matches_pytorch_format(build, expected):
    assert repr(build(nn)) == expected


@pytest.mark.parametrize("build,expected", REPRS, ids=[r[1].split("(")[0] + str(i) for i, r in enumerate(REPRS)])
def test_repr_equals_torch(build, expected):
    torch = pytest.importorskip("torch")
    if "Norm" in expected and "bias=" in expected and "bias" not in inspect.signature(torch.nn.GroupNorm).parameters:
        pytest.skip(f"torch {torch.__version__}'s norm layers predate their bias= argument, whose repr nativedl follows")
    assert repr(build(nn)) == repr(build(torch.nn))


def test_nested_repr():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(inplace=True))
    assert repr(net) == ("Sequential(\n  (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))\n"
                         "  (1): BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n"
                         "  (2): ReLU(inplace=True)\n)")
    assert repr(nn.DropConnect(nn.Linear(2, 3), 0.2)) == (
        "DropConnect(\n  p=0.2\n  (module): Linear(in_features=2, out_features=3, bias=True)\n)")
