"""The device model and the CUDA backend. The first part runs everywhere (device parsing, the
nd.cuda module, clear errors without a GPU); the tests taking the `cuda` fixture need a GPU
and are skipped without one (NATIVEDL_TEST_DEVICE=cuda makes a missing GPU an error)."""
import numpy as np
import pytest

import nativedl as nd
import nativedl.nn as nn
import nativedl.nn.functional as F

from cuda_device import cuda  # noqa: F401  (fixture)


# ---------------------------------------------------------------- everywhere

def test_device_parsing():
    assert str(nd.device("cpu")) == "cpu" and nd.device("cpu").index is None
    d = nd.device("cuda:1")
    assert (d.type, d.index, str(d)) == ("cuda", 1, "cuda:1")
    assert nd.device("cuda", 0) == nd.device("cuda:0") == "cuda:0"
    assert nd.device(0) == nd.device("cuda:0")
    assert nd.device(nd.device("cuda")) == nd.device("cuda") and nd.device("cuda").index is None
    assert repr(nd.device("cuda:0")) == "device(type='cuda', index=0)"
    assert len({nd.device("cuda:0"), nd.device("cuda", 0)}) == 1


@pytest.mark.parametrize("bad,err", [("tpu", ValueError), ("cuda:x", ValueError), ("cuda:-1", ValueError),
                                     ("cpu:1", ValueError), (1.5, TypeError)])
def test_device_parsing_errors(bad, err):
    with pytest.raises(err, match=r"\[device\]"):
        nd.device(bad)
    with pytest.raises(ValueError, match=r"\[device\]"):
        nd.device("cuda", -2)


def test_cuda_module_never_raises_on_queries():
    assert isinstance(nd.cuda.is_available(), bool)
    assert nd.cuda.device_count() >= 0
    assert nd.cuda.is_available() == (nd.cuda.device_count() > 0)
    assert nd.cuda.is_compiled() == (nd.__build_info__["cuda"] == "on")
    assert nd.__build_info__["cuda"] in ("on", "off")
    assert nd.cuda.memory_allocated() >= 0 and nd.cuda.memory_reserved() >= nd.cuda.memory_allocated()
    nd.cuda.empty_cache()
    nd.cuda.manual_seed(3)
    assert nd.cuda.initial_seed() == 3


def test_cpu_tensors_report_their_device():
    t = nd.ones(2, 3)
    assert t.device == nd.device("cpu") and t.device.type == "cpu" and not t.is_cuda
    assert t.cpu() is t and t.to("cpu") is t and t.to(nd.device("cpu")) is t
    assert t.to("cpu", nd.float64).dtype == nd.float64
    assert t.to(device="cpu", dtype=nd.int64).dtype == nd.int64


@pytest.mark.parametrize("make", [
    lambda d: nd.empty(2, device=d), lambda d: nd.zeros(2, device=d), lambda d: nd.ones(2, device=d),
    lambda d: nd.full((2,), 1.5, device=d), lambda d: nd.arange(3, device=d), lambda d: nd.linspace(0, 1, 3, device=d),
    lambda d: nd.eye(2, device=d), lambda d: nd.rand(2, device=d), lambda d: nd.randn(2, device=d),
    lambda d: nd.randint(0, 5, (2,), device=d), lambda d: nd.randperm(4, device=d),
    lambda d: nd.tensor([1.0, 2.0], device=d), lambda d: nd.as_tensor(np.ones(2), device=d)])
def test_creation_takes_device(make):
    for d in ("cpu", nd.device("cpu")):
        assert make(d).device == nd.device("cpu")
    with pytest.raises(ValueError, match=r"\[device\]"):
        make("gpu")


def test_like_functions_keep_the_device():
    x = nd.ones(2, 2, dtype=nd.float64)
    for f in (nd.empty_like, nd.zeros_like, nd.ones_like, nd.rand_like, nd.randn_like):
        assert f(x).device == x.device and f(x).dtype == nd.float64
    assert nd.full_like(x, 2.0).device == x.device
    assert x.new_zeros(3).device == x.device


@pytest.fixture
def restore_tf32():
    yield
    nd.backends.cuda.matmul.allow_tf32 = False


def test_allow_tf32_switch_is_off_by_default_and_process_wide(restore_tf32):
    m = nd.backends.cuda.matmul
    assert m.allow_tf32 is False and nd.get_float32_matmul_precision() == "highest"
    assert nd.backends.cuda.is_built() == nd.cuda.is_compiled()
    m.allow_tf32 = True
    assert nd.backends.cuda.matmul.allow_tf32 is True and nd.get_float32_matmul_precision() == "high"
    assert repr(m) == "backends.cuda.matmul(allow_tf32=True)"
    m.allow_tf32 = False
    nd.set_float32_matmul_precision("medium")
    assert m.allow_tf32 is True and nd.get_float32_matmul_precision() == "medium"
    nd.set_float32_matmul_precision("highest")
    assert m.allow_tf32 is False and nd.get_float32_matmul_precision() == "highest"
    with pytest.raises(TypeError, match=r"\[allow_tf32\] expected a bool"):
        m.allow_tf32 = 1
    with pytest.raises(ValueError, match=r"\[set_float32_matmul_precision\] precision must be one of"):
        nd.set_float32_matmul_precision("low")
    with pytest.raises(AttributeError, match="allow_tf32 is the one"):
        m.allow_fp16 = True
    assert m.allow_tf32 is False


def test_allow_tf32_leaves_cpu_products_in_float32(restore_tf32):
    rng = np.random.default_rng(0)
    a, b = (nd.from_numpy(rng.standard_normal(s).astype(np.float32)) for s in ((33, 70), (70, 21)))
    want = (a @ b).numpy()
    nd.backends.cuda.matmul.allow_tf32 = True
    np.testing.assert_array_equal((a @ b).numpy(), want)


needs_no_gpu = pytest.mark.skipif(nd.cuda.is_available(), reason="checks the errors of a machine without a GPU")


@needs_no_gpu
def test_without_a_gpu_cuda_requests_raise_clearly():
    t = nd.ones(2)
    for attempt in (lambda: t.cuda(), lambda: t.to("cuda"), lambda: t.to("cuda:0"), lambda: nd.zeros(2, device="cuda"),
                    lambda: nd.randn(2, device="cuda"), lambda: nd.tensor([1], device="cuda:0")):
        with pytest.raises(RuntimeError, match=r"device cuda(:0)? is not available"):
            attempt()
    with pytest.raises(RuntimeError, match="cuda.synchronize"):
        nd.cuda.synchronize()


@needs_no_gpu
def test_without_a_gpu_device_properties_raise_clearly():
    for query in (nd.cuda.get_device_properties, nd.cuda.get_device_name, nd.cuda.get_device_capability):
        with pytest.raises(RuntimeError, match=r"\[cuda.get_device_properties\] device cuda:0 is not available"):
            query()
    with pytest.raises(ValueError, match="expected a CUDA device"):
        nd.cuda.get_device_name("cpu")


@needs_no_gpu
def test_without_a_gpu_the_cuda_peak_probe_raises_clearly():
    with pytest.raises(RuntimeError, match=r"\[measure_cuda_peak\]"):
        nd._C._measure_cuda_peak(1 << 20, 1)


@needs_no_gpu
def test_without_a_gpu_module_cuda_raises_and_leaves_the_module_unchanged():
    net = nn.Linear(3, 2)
    before = net.weight.detach().clone()
    with pytest.raises(RuntimeError, match="not available"):
        net.cuda()
    assert net.weight.device == nd.device("cpu")
    np.testing.assert_array_equal(net.weight.detach().numpy(), before.numpy())
    assert net.to("cpu") is net and net.cpu() is net


# ---------------------------------------------------------------- with a GPU

def test_round_trip_and_properties(cuda):
    x = nd.arange(12, dtype=nd.float32).reshape(3, 4)
    y = x.cuda()
    assert y.is_cuda and y.device == nd.device("cuda:0") and y.shape == (3, 4)
    assert y.to("cuda") is y
    back = y.cpu()
    assert not back.is_cuda
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    np.testing.assert_array_equal(x.t().cuda().cpu().numpy(), x.numpy().T)  # a strided source
    assert y[1, 2].item() == 6.0 and "device='cuda:0'" in repr(y)
    assert y.tolist() == x.tolist()


def test_numpy_of_a_cuda_tensor_raises_like_pytorch(cuda):
    y = nd.ones(2, device="cuda")
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        y.numpy()
    with pytest.raises((TypeError, BufferError), match=r"Tensor\.cpu\(\)"):
        np.asarray(y)


def test_creation_on_cuda_matches_the_cpu(cuda):
    assert nd.zeros(2, 3, device="cuda").cpu().tolist() == [[0.0] * 3] * 2
    assert nd.full((2,), 7, device="cuda").cpu().tolist() == [7, 7]
    assert nd.arange(5, device="cuda").cpu().tolist() == list(range(5))
    nd.manual_seed(5)
    a = nd.randn(100, device="cuda").cpu()
    nd.manual_seed(5)
    b = nd.randn(100)
    np.testing.assert_array_equal(a.numpy(), b.numpy())  # same seed, same Philox stream
    nd.cuda.manual_seed(9)
    c = nd.rand(10, device="cuda").cpu()
    nd.cuda.manual_seed(9)
    np.testing.assert_array_equal(c.numpy(), nd.rand(10, device="cuda").cpu().numpy())


def test_mixing_devices_names_both(cuda):
    a, b = nd.ones(3), nd.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match=r"\[add\] expected all tensors to be on the same device.*cpu.*cuda:0"):
        a + b
    with pytest.raises(RuntimeError, match=r"\[matmul\].*same device"):
        nd.ones(2, 2) @ nd.ones(2, 2, device="cuda")
    # A Python number or a 0-d CPU tensor combines with a CUDA tensor, as in PyTorch.
    assert (b + 1).cpu().tolist() == [2.0] * 3 and (b * nd.tensor(2.0)).cpu().tolist() == [2.0] * 3


def test_ops_without_a_cuda_kernel_raise_clearly(cuda):
    """CPU code reached with a device tensor raises (Tensor.data_ptr checks the device) instead
    of reading device memory on the host."""
    y, t = nd.ones(2, 3, device="cuda"), nd.zeros(2, dtype=nd.int64, device="cuda")
    with pytest.raises(RuntimeError, match=r"not implemented for CUDA tensors: this op has no CUDA kernel and "
                                           r"reached the CPU code with a tensor on cuda:0"):
        nd._C._cross_entropy_rows(y, t, -100)  # the CPU-only fused loss (F.cross_entropy avoids it on CUDA)


def test_elementwise_reductions_softmax_and_matmul_match_the_cpu(cuda):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 1, 7)).astype(np.float32)
    b = rng.standard_normal((4, 7)).astype(np.float32)
    ta, tb = nd.from_numpy(a), nd.from_numpy(b)
    ca, cb = ta.cuda(), tb.cuda()
    for f in (lambda x, y: x + y, lambda x, y: x * y - y, lambda x, y: nd.maximum(x, y), lambda x, y: (x > y),
              lambda x, y: nd.where(x > 0, x, y), lambda x, y: x.exp().sigmoid() / (y.abs() + 1)):
        np.testing.assert_allclose(f(ca, cb).cpu().numpy(), f(ta, tb).numpy(), rtol=1e-5, atol=1e-6)
    x = rng.standard_normal((6, 300)).astype(np.float32)
    tx, cx = nd.from_numpy(x), nd.from_numpy(x).cuda()
    for f in (lambda t: t.sum(), lambda t: t.sum(1), lambda t: t.sum(0), lambda t: t.mean(1), lambda t: t.amax(0),
              lambda t: t.max(1)[1], lambda t: t.argmin(), lambda t: (t > 0).all(1), lambda t: F.softmax(t, 1),
              lambda t: F.log_softmax(t, 0), lambda t: t @ t.t(), lambda t: nd.bmm(t.reshape(2, 3, 300),
                                                                              t.reshape(2, 300, 3))):
        np.testing.assert_allclose(f(cx).cpu().numpy(), f(tx).numpy(), rtol=1e-4, atol=1e-4)
    m = rng.standard_normal((130, 70)).astype(np.float64)
    n = rng.standard_normal((70, 90)).astype(np.float64)
    np.testing.assert_allclose((nd.from_numpy(m).cuda() @ nd.from_numpy(n).cuda()).cpu().numpy(), m @ n, rtol=1e-12)


def test_autograd_flows_across_devices(cuda):
    x = nd.randn(4, 5, dtype=nd.float64, requires_grad=True)
    w = nd.randn(5, 3, dtype=nd.float64, device="cuda", requires_grad=True)
    loss = F.log_softmax(x.cuda() @ w, 1).sum() * 0.5
    loss.backward()
    assert x.grad.device == nd.device("cpu") and w.grad.is_cuda
    xc, wc = x.detach().requires_grad_(True), w.detach().cpu().requires_grad_(True)
    (F.log_softmax(xc @ wc, 1).sum() * 0.5).backward()
    np.testing.assert_allclose(x.grad.numpy(), xc.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(w.grad.cpu().numpy(), wc.grad.numpy(), rtol=1e-10)


def test_caching_allocator_reuses_blocks(cuda):
    nd.cuda.synchronize()
    nd.cuda.empty_cache()
    base = nd.cuda.memory_allocated()
    t = nd.empty(1 << 20, device="cuda")  # 4 MiB
    assert nd.cuda.memory_allocated() - base >= 4 << 20
    reserved = nd.cuda.memory_reserved()
    ptr = t.data_ptr()
    del t
    assert nd.cuda.memory_allocated() == base and nd.cuda.memory_reserved() == reserved
    assert nd.empty(1 << 20, device="cuda").data_ptr() == ptr  # the cached block comes back
    nd.cuda.empty_cache()
    assert nd.cuda.memory_reserved() < reserved


def test_dlpack_exports_cuda_tensors(cuda):
    y = nd.arange(6, dtype=nd.float32, device="cuda")
    assert y.__dlpack_device__() == (2, 0)
    z = nd.from_dlpack(y)
    assert z.is_cuda and z.data_ptr() == y.data_ptr() and z.cpu().tolist() == list(range(6))


def test_module_to_cuda_moves_parameters_and_buffers(cuda):
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    params = list(net.parameters())
    assert net.cuda() is net
    assert all(p.is_cuda for p in net.parameters()) and [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert net[1].running_mean.is_cuda
    net.cpu()
    assert not net[0].weight.is_cuda and not net[1].running_var.is_cuda


def test_training_steps_on_the_gpu_match_the_cpu(cuda):
    """Linear -> GELU -> Linear -> cross-entropy, SGD with momentum then Adam: the same losses and
    parameters on both devices."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 10)).astype(np.float64)
    y = rng.integers(0, 4, 32)

    def run(device, opt_class, **kw):
        nd.manual_seed(0)
        net = nn.Sequential(nn.Linear(10, 16), nn.GELU(), nn.Linear(16, 4)).double().to(device)
        opt = opt_class(net.parameters(), **kw)
        xs, ys = nd.from_numpy(x).to(device), nd.from_numpy(y).to(device)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(net(xs), ys)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, [p.detach().cpu().numpy() for p in net.parameters()]

    for opt_class, kw in ((nd.optim.SGD, {"lr": 0.1, "momentum": 0.9}), (nd.optim.Adam, {"lr": 1e-2})):
        cpu_losses, cpu_params = run("cpu", opt_class, **kw)
        gpu_losses, gpu_params = run(cuda, opt_class, **kw)
        np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-10)
        for a, b in zip(gpu_params, cpu_params):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)



def _cpu_and_cuda(cuda, a):
    return nd.from_numpy(a).requires_grad_(True), nd.from_numpy(a).to(cuda).requires_grad_(True)


def test_batch_norm_train_and_eval_match_the_cpu(cuda):
    rng = np.random.default_rng(1)
    for shape in ((8, 5), (4, 3, 7, 6), (2, 300, 3)):
        C = shape[1]
        x_np = rng.standard_normal(shape) * 3 + 10  # a large mean: the variance must stay accurate
        g_np = np.cos(np.arange(x_np.size)).reshape(shape)
        for training in (True, False):
            outs = []
            for device in ("cpu", cuda):
                x = nd.from_numpy(x_np).to(device).requires_grad_(True)
                w = nd.from_numpy(np.linspace(0.5, 2, C)).to(device).requires_grad_(True)
                b = nd.from_numpy(np.linspace(-1, 1, C)).to(device).requires_grad_(True)
                rm = nd.from_numpy(np.linspace(0, 1, C)).to(device)
                rv = nd.from_numpy(np.linspace(1, 2, C)).to(device)
                y = F.batch_norm(x, rm, rv, w, b, training=training, momentum=0.2, eps=1e-5)
                (y * nd.from_numpy(g_np).to(device)).sum().backward()
                outs.append([t.detach().cpu().numpy() for t in (y, x.grad, w.grad, b.grad, rm, rv)])
            for got, want in zip(outs[1], outs[0]):
                np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_group_norm_runs_on_the_gpu(cuda):
    x, xc = _cpu_and_cuda(cuda, np.random.default_rng(2).standard_normal((3, 6, 5, 4)))
    y, yc = F.group_norm(x, 3), F.group_norm(xc, 3)
    (y * y).sum().backward()
    (yc * yc).sum().backward()
    np.testing.assert_allclose(yc.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xc.grad.cpu().numpy(), x.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("pool", [
    lambda t: F.max_pool2d(t, 3, 2, 1, return_indices=True),
    lambda t: F.max_pool2d(t, 3, 1, 1, dilation=2, ceil_mode=True, return_indices=True),
    lambda t: F.max_pool2d(t, (2, 3), (3, 2), ceil_mode=True, return_indices=True),
    lambda t: F.adaptive_max_pool2d(t, (3, 4), return_indices=True),
    lambda t: F.avg_pool2d(t, 3, 2, 1),
    lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda t: F.avg_pool2d(t, 2, 1, divisor_override=3),
    lambda t: F.adaptive_avg_pool2d(t, (4, 3)),
    lambda t: F.max_pool1d(t.flatten(2), 4, 3, 2, return_indices=True),
    lambda t: F.avg_pool1d(t.flatten(2), 3, 2, 1),
])
def test_pooling_matches_the_cpu_bit_for_bit(cuda, pool):
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal((2, 3, 9, 11)).astype(dtype)
        a[0, 0, 2, 3:5] = 5.0  # a tie: the first maximum wins on both devices
        a[1, 2, 4, 4] = np.nan  # a NaN wins its windows
        x, xc = _cpu_and_cuda(cuda, a)
        out, outc = pool(x), pool(xc)
        out, outc = (out, outc) if isinstance(out, tuple) else ((out,), (outc,))
        for want, got in zip(out, outc):
            np.testing.assert_array_equal(got.detach().cpu().numpy(), want.detach().numpy())
        g = nd.from_numpy(rng.standard_normal(tuple(out[0].shape)).astype(dtype))
        (out[0] * g).sum().backward()
        (outc[0] * g.to(cuda)).sum().backward()
        np.testing.assert_array_equal(xc.grad.cpu().numpy(), x.grad.numpy())


def test_max_unpool_matches_the_cpu_with_repeated_indices(cuda):
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal((2, 3, 4, 5)).astype(dtype)
        idx = rng.integers(0, 6, (2, 3, 4, 5))  # many repeats: the last writer of a plane wins
        x, xc = _cpu_and_cuda(cuda, a)
        out = F.max_unpool2d(x, nd.from_numpy(idx), 1)
        outc = F.max_unpool2d(xc, nd.from_numpy(idx).to(cuda), 1)
        np.testing.assert_array_equal(outc.detach().cpu().numpy(), out.detach().numpy())
        g = rng.standard_normal(tuple(out.shape)).astype(dtype)
        (out * nd.from_numpy(g)).sum().backward()
        (outc * nd.from_numpy(g).to(cuda)).sum().backward()
        np.testing.assert_array_equal(xc.grad.cpu().numpy(), x.grad.numpy())


def test_dropout_masks_come_from_the_seed(cuda):
    x = nd.ones(1000, 33, device="cuda")
    nd.cuda.manual_seed(4)
    a = F.dropout(x, 0.3).cpu().numpy()
    nd.cuda.manual_seed(4)
    np.testing.assert_array_equal(F.dropout(x, 0.3).cpu().numpy(), a)
    assert set(np.unique(a)) <= {0.0, np.float32(1 / 0.7)} and abs((a == 0).mean() - 0.3) < 0.01
    nd.manual_seed(4)  # both generators seeded alike draw one Philox stream: the CPU's mask
    np.testing.assert_array_equal(F.dropout(x, 0.3).cpu().numpy(), F.dropout(nd.ones(1000, 33), 0.3).numpy())
    xr = nd.randn(7, 6, 5, device="cuda", requires_grad=True)
    y = F.dropout2d(xr, 0.5)
    y.sum().backward()
    keep = (y.detach().cpu().numpy() != 0).any(2, keepdims=True)
    np.testing.assert_array_equal(xr.grad.cpu().numpy(), np.broadcast_to(keep * 2.0, (7, 6, 5)))


@pytest.mark.parametrize("opt_class,kw", [(nd.optim.Adam, {"lr": 0.01, "weight_decay": 0.1}),
                                          (nd.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True})])
def test_multi_tensor_steps_match_the_cpu(cuda, opt_class, kw):
    # Note [Multi-tensor optimizer steps]: a group of 100 parameters (more than one launch table)
    # mixing float32 and float64, sizes from empty to several blocks, a parameter without a
    # gradient, and a second group with other options, against the same steps on the CPU.
    rng = np.random.default_rng(31)
    sizes = [(0,), (3000,), (17, 5)] + [(int(n),) for n in rng.integers(1, 40, 97)]
    p_np = [rng.standard_normal(s).astype(np.float32 if i % 3 else np.float64) for i, s in enumerate(sizes)]
    g_np = [[rng.standard_normal(p.shape).astype(p.dtype) for p in p_np] for _ in range(3)]
    res = []
    for device in ("cpu", cuda):
        ps = [nd.from_numpy(p.copy()).to(device).requires_grad_(True) for p in p_np]
        opt = opt_class([{"params": ps[:90]}, {"params": ps[90:], "lr": 0.003}], **kw)
        for grads in g_np:
            for i, (p, g) in enumerate(zip(ps, grads)):
                p.grad = None if i == 5 else nd.from_numpy(g).to(device)
            opt.step()
        res.append([p.detach().cpu().numpy() for p in ps])
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5 if got.dtype == np.float32 else 1e-12, atol=1e-6)


@pytest.mark.parametrize("case", [
    ((2, 6, 9, 8), (4, 6, 3, 3), dict(stride=1, padding=1)),
    ((3, 6, 11, 10), (6, 3, 3, 2), dict(stride=(2, 3), padding=(1, 0), dilation=(2, 1), groups=2)),
    ((2, 5, 7, 7), (10, 1, 3, 3), dict(stride=2, padding=1, groups=5)),  # depthwise, multiplier 2
    ((1, 70, 5, 6), (65, 70, 1, 1), dict()),  # more than one tile of channels and positions
    # Weight gradients over K = N*OH*OW of 3200 and 1296 positions in one or two output tiles:
    # split over K (Note [Split-K]), the partial sums added in a second pass.
    ((8, 3, 20, 20), (5, 3, 3, 3), dict(padding=1)),
    ((4, 4, 18, 18), (4, 2, 3, 3), dict(padding=1, groups=2)),
])
def test_conv2d_forward_and_backward_match_the_cpu(cuda, case):
    xs, ws, kw = case
    rng = np.random.default_rng(6)
    x, xc = _cpu_and_cuda(cuda, rng.standard_normal(xs))
    w, wc = _cpu_and_cuda(cuda, rng.standard_normal(ws))
    b, bc = _cpu_and_cuda(cuda, rng.standard_normal(ws[0]))
    y, yc = F.conv2d(x, w, b, **kw), F.conv2d(xc, wc, bc, **kw)
    np.testing.assert_allclose(yc.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(tuple(y.shape))
    (y * nd.from_numpy(g)).sum().backward()
    (yc * nd.from_numpy(g).to(cuda)).sum().backward()
    for cpu_t, gpu_t in ((x, xc), (w, wc), (b, bc)):
        np.testing.assert_allclose(gpu_t.grad.cpu().numpy(), cpu_t.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_conv_transpose2d_and_conv1d_match_the_cpu(cuda):
    rng = np.random.default_rng(7)
    x, xc = _cpu_and_cuda(cuda, rng.standard_normal((2, 4, 5, 6)).astype(np.float32))
    w, wc = _cpu_and_cuda(cuda, rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    y = F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    yc = F.conv_transpose2d(xc, wc, stride=2, padding=1, output_padding=1)
    np.testing.assert_allclose(yc.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-5, atol=1e-5)
    (y * y).sum().backward()
    (yc * yc).sum().backward()
    np.testing.assert_allclose(xc.grad.cpu().numpy(), x.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(wc.grad.cpu().numpy(), w.grad.numpy(), rtol=1e-4, atol=1e-4)
    s = rng.standard_normal((3, 4, 20)).astype(np.float32)
    k = rng.standard_normal((5, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(F.conv1d(nd.from_numpy(s).to(cuda), nd.from_numpy(k).to(cuda), padding=2).cpu().numpy(),
                               F.conv1d(nd.from_numpy(s), nd.from_numpy(k), padding=2).numpy(), rtol=1e-5, atol=1e-5)


def test_layer_norm_matches_the_cpu(cuda):
    rng = np.random.default_rng(8)
    for shape, norm in (((4, 6, 33), (33,)), ((3, 5, 4, 70), (4, 70)), ((2, 300), (300,)), ((5, 7), (7,))):
        x_np = rng.standard_normal(shape) * 3 + 50  # a large mean: the variance must stay accurate
        g_np = rng.standard_normal(shape)
        for affine in (True, False):
            res = []
            for device in ("cpu", cuda):
                x = nd.from_numpy(x_np).to(device).requires_grad_(True)
                w = nd.from_numpy(np.linspace(0.5, 2, int(np.prod(norm))).reshape(norm)).to(device).requires_grad_(True)
                b = nd.from_numpy(np.linspace(-1, 1, int(np.prod(norm))).reshape(norm)).to(device).requires_grad_(True)
                y = F.layer_norm(x, norm, w if affine else None, b if affine else None, eps=1e-5)
                (y * nd.from_numpy(g_np).to(device)).sum().backward()
                res.append([t.detach().cpu().numpy() for t in ((y, x.grad, w.grad, b.grad) if affine else (y, x.grad))])
            for got, want in zip(res[1], res[0]):
                np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_var_and_std_match_the_cpu(cuda, dtype):
    rng = np.random.default_rng(9)
    a = (rng.standard_normal((4, 5, 6)) * 2 + 100).astype(dtype)
    x, xc = nd.from_numpy(a), nd.from_numpy(a).to(cuda)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for kw in ({}, {"dim": 0}, {"dim": 2}, {"dim": (0, 2), "keepdim": True}, {"dim": 1, "correction": 0}):
        for f in (nd.var, nd.std):
            np.testing.assert_allclose(f(xc, **kw).cpu().numpy(), f(x, **kw).numpy(), rtol=tol, atol=tol)
    assert np.isnan(nd.var(nd.ones(1, device=cuda)).cpu().numpy())  # no degrees of freedom: NaN, as the CPU


def test_batch_norm_double_backward_matches_the_cpu(cuda):
    rng = np.random.default_rng(10)
    x_np = rng.standard_normal((4, 3, 5))
    res = []
    for device in ("cpu", cuda):
        x = nd.from_numpy(x_np).to(device).requires_grad_(True)
        w = nd.from_numpy(np.array([0.5, 1.0, 2.0])).to(device).requires_grad_(True)
        y = F.batch_norm(x, None, None, w, None, training=True)
        (gx,) = nd.autograd.grad((y ** 3).sum(), [x], create_graph=True)
        (gx * gx).sum().backward()
        res.append([x.grad.cpu().numpy(), w.grad.cpu().numpy()])
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("kw", [
    {"scale_factor": 2, "mode": "nearest"},
    {"size": (5, 4), "mode": "nearest"},
    {"scale_factor": 2, "mode": "bilinear", "align_corners": False},
    {"size": (7, 3), "mode": "bilinear", "align_corners": True},
    {"size": (3, 9), "mode": "bilinear", "align_corners": False},
    {"scale_factor": 1.7, "mode": "bicubic", "align_corners": True},
])
def test_interpolate_matches_the_cpu(cuda, kw):
    rng = np.random.default_rng(11)
    for dtype in (np.float32, np.float64):
        x, xc = _cpu_and_cuda(cuda, rng.standard_normal((2, 3, 5, 6)).astype(dtype))
        y, yc = F.interpolate(x, **kw), F.interpolate(xc, **kw)
        # Equal up to rounding: nvcc contracts a*b+c into one FMA where the CPU build rounds twice.
        ulps = 1e-13 if dtype == np.float64 else 1e-6
        np.testing.assert_allclose(yc.detach().cpu().numpy(), y.detach().numpy(), rtol=ulps, atol=ulps)
        g = rng.standard_normal(tuple(y.shape)).astype(dtype)
        (y * nd.from_numpy(g)).sum().backward()
        (yc * nd.from_numpy(g).to(cuda)).sum().backward()
        np.testing.assert_allclose(xc.grad.cpu().numpy(), x.grad.numpy(), rtol=1e-6, atol=1e-6)
    x1, x1c = _cpu_and_cuda(cuda, rng.standard_normal((2, 3, 7)))
    np.testing.assert_array_equal(F.interpolate(x1c, size=11, mode="linear").detach().cpu().numpy(),
                                  F.interpolate(x1, size=11, mode="linear").detach().numpy())


@pytest.mark.parametrize("opts", [{}, {"padding_idx": 1}, {"scale_grad_by_freq": True},
                                  {"padding_idx": -2, "scale_grad_by_freq": True}])
def test_embedding_matches_the_cpu_and_is_deterministic(cuda, opts):
    rng = np.random.default_rng(12)
    idx = rng.integers(0, 6, (5, 40))  # every row repeated many times
    w_np = rng.standard_normal((7, 33)).astype(np.float32)
    g = rng.standard_normal((5, 40, 33)).astype(np.float32)
    res = []
    for device in ("cpu", cuda, cuda):
        w = nd.from_numpy(w_np).to(device).requires_grad_(True)
        y = F.embedding(nd.from_numpy(idx).to(device), w, **opts)
        (y * nd.from_numpy(g).to(device)).sum().backward()
        res.append([y.detach().cpu().numpy(), w.grad.cpu().numpy()])
    for got, want in zip(res[1], res[0]):  # the CPU's index_add order: equal to the last bit
        np.testing.assert_array_equal(got, want)
    for a, b in zip(res[2], res[1]):
        np.testing.assert_array_equal(a, b)


def test_embedding_double_backward_and_errors_on_cuda(cuda):
    idx = nd.tensor([[0, 2, 2], [1, 0, 2]])
    res = []
    for device in ("cpu", cuda):
        w = nd.arange(12, dtype=nd.float64).reshape(4, 3).to(device).requires_grad_(True)
        y = F.embedding(idx.to(device), w, padding_idx=1, scale_grad_by_freq=True)
        (gw,) = nd.autograd.grad((y * y).sum(), [w], create_graph=True)
        (gw ** 2).sum().backward()
        res.append([gw.detach().cpu().numpy(), w.grad.cpu().numpy()])
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(IndexError, match=r"\[embedding\] index 4"):
        F.embedding(nd.tensor([4], device=cuda), nd.ones(4, 3, device=cuda))
    with pytest.raises(RuntimeError, match=r"\[embedding\] expected all tensors to be on the same device"):
        F.embedding(nd.tensor([1]), nd.ones(4, 3, device=cuda))


@pytest.mark.parametrize("opt_class,kw", [
    (nd.optim.Adadelta, {"lr": 1.0, "weight_decay": 0.01}),
    (nd.optim.Adamax, {"lr": 0.01, "weight_decay": 0.01}),
    (nd.optim.NAdam, {"lr": 0.01, "weight_decay": 0.01}),
    (nd.optim.NAdam, {"lr": 0.01, "weight_decay": 0.01, "decoupled_weight_decay": True}),
    (nd.optim.RAdam, {"lr": 0.01}),
    (nd.optim.Adam, {"lr": 0.01, "amsgrad": True, "maximize": True}),
    (nd.optim.RMSprop, {"lr": 0.01, "momentum": 0.9, "centered": True}),
    (nd.optim.Adagrad, {"lr": 0.1}),
])
def test_fused_optimizer_steps_match_the_cpu(cuda, opt_class, kw):
    rng = np.random.default_rng(13)
    p_np, grads = rng.standard_normal((50, 7)), [rng.standard_normal((50, 7)) for _ in range(8)]
    res = []
    for device in ("cpu", cuda):
        p = nd.from_numpy(p_np.copy()).to(device).requires_grad_(True)  # the CPU run updates it in place
        opt = opt_class([p], **kw)
        for g in grads:  # 8 steps: RAdam passes its rectification threshold
            p.grad = nd.from_numpy(g).to(device)
            opt.step()
        res.append(p.detach().cpu().numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("case", [
    ((2, 4, 9, 11), (4, 1, 3, 3), {"padding": 1, "groups": 4}),
    ((2, 3, 9, 11), (6, 1, 3, 3), {"stride": 2, "padding": 1, "groups": 3}),
    ((1, 5, 12, 10), (5, 1, 5, 3), {"padding": (2, 1), "dilation": (2, 1), "groups": 5}),
    ((2, 2, 8, 8), (4, 1, 3, 3), {"stride": (1, 3), "groups": 2}),
])
def test_depthwise_conv_matches_the_cpu(cuda, case):
    xs, ws, kw = case
    rng = np.random.default_rng(14)
    x, xc = _cpu_and_cuda(cuda, rng.standard_normal(xs))
    w, wc = _cpu_and_cuda(cuda, rng.standard_normal(ws))
    b, bc = _cpu_and_cuda(cuda, rng.standard_normal(ws[0]))
    y, yc = F.conv2d(x, w, b, **kw), F.conv2d(xc, wc, bc, **kw)
    np.testing.assert_allclose(yc.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(tuple(y.shape))
    (y * nd.from_numpy(g)).sum().backward()
    (yc * nd.from_numpy(g).to(cuda)).sum().backward()
    for cpu_t, gpu_t in ((x, xc), (w, wc), (b, bc)):
        np.testing.assert_allclose(gpu_t.grad.cpu().numpy(), cpu_t.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_device_properties(cuda):
    p = nd.cuda.get_device_properties(cuda)
    assert p.name == nd.cuda.get_device_name() and len(p.name) > 0
    assert nd.cuda.get_device_capability(0) == (p.major, p.minor) and p.major >= 5
    assert p.multi_processor_count > 0 and p.total_memory > 1 << 30 and p.name in repr(p)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_split_k_matmul_matches_the_cpu(cuda, dtype, tol):
    # One 8 x 6 output tile over K = 5000: split into slices of K (Note [Split-K]); batched too.
    rng = np.random.default_rng(23)
    for a_shape, b_shape in (((8, 5000), (5000, 6)), ((3, 8, 5000), (3, 5000, 6))):
        a, b = rng.standard_normal(a_shape).astype(dtype), rng.standard_normal(b_shape).astype(dtype)
        got = (nd.from_numpy(a).to(cuda) @ nd.from_numpy(b).to(cuda)).cpu().numpy()
        np.testing.assert_allclose(got, a @ b, rtol=tol, atol=tol * 100)


def test_matmul_tf32_when_allowed(cuda, restore_tf32):
    """Off: float32 products accurate to float32 rounding. On (sm_80+): TF32 operands, so errors of
    the order 2^-11 sqrt(k) (at most ~3.2 of it in a NumPy emulation of these cases), on every tile
    shape including partial edge tiles."""
    rng = np.random.default_rng(15)
    for (bs, m, k, n) in ((1, 200, 300, 150), (3, 65, 17, 64), (2, 1, 40, 129)):
        a = rng.standard_normal((bs, m, k)).astype(np.float32)
        b = rng.standard_normal((bs, k, n)).astype(np.float32)
        exact = np.matmul(a.astype(np.float64), b.astype(np.float64))
        scale = np.sqrt(k)  # the size of an entry's accumulated terms
        ac, bc = nd.from_numpy(a).to(cuda), nd.from_numpy(b).to(cuda)
        nd.backends.cuda.matmul.allow_tf32 = False
        fp32 = nd.bmm(ac, bc).cpu().numpy()
        np.testing.assert_allclose(fp32, exact, atol=1e-5 * scale, rtol=0)
        nd.backends.cuda.matmul.allow_tf32 = True
        got = nd.bmm(ac, bc).cpu().numpy()
        np.testing.assert_allclose(got, exact, atol=8 * 2.0 ** -11 * scale, rtol=0)
        # TF32 tensor cores exist from sm_80: there the rounding shows (typical errors ~2^-11 sqrt(k)).
        assert (np.abs(got - fp32).max() > 2.0 ** -16 * scale) == (nd.cuda.get_device_capability() >= (8, 0))
        np.testing.assert_allclose((ac.transpose(1, 2).contiguous().transpose(1, 2) @ bc).cpu().numpy(), got,
                                   atol=1e-5 * scale, rtol=0)
    # float64 never rounds to TF32.
    d = rng.standard_normal((40, 50))
    dc = nd.from_numpy(d).to(cuda)
    np.testing.assert_allclose((dc @ dc.t()).cpu().numpy(), d @ d.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"mask": "bool"}, {"mask": "float"}, {"dropout_p": 0.5}])
def test_scaled_dot_product_attention_matches_the_cpu(cuda, kw):
    """The fused path (softmax in place on the device, the causal mask built there) and the
    composed one (dropout: the same Philox draws on both devices) run on the GPU."""
    rng = np.random.default_rng(16)
    qs, ks = (2, 3, 5, 8), (2, 3, 7, 8)
    arrays = [rng.standard_normal(s) for s in (qs, ks, (2, 3, 7, 4))]
    mask = None
    if kw.get("mask") == "bool":
        mask = rng.random((5, 7)) > 0.3
        mask[:, 0] = True  # no fully masked row
    elif kw.get("mask") == "float":
        mask = rng.standard_normal((2, 1, 5, 7))
    res = []
    for device in ("cpu", cuda):
        q, k, v = (nd.from_numpy(a).to(device).requires_grad_(True) for a in arrays)
        m = None if mask is None else nd.from_numpy(mask).to(device)
        nd.manual_seed(0)
        y = F.scaled_dot_product_attention(q, k, v, m, kw.get("dropout_p", 0.0), kw.get("is_causal", False))
        (y * y).sum().backward()
        res.append([t.detach().cpu().numpy() for t in (y, q.grad, k.grad, v.grad)])
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_tril_triu_on_the_gpu(cuda):
    x = np.arange(24.0).reshape(2, 3, 4)
    xc = nd.from_numpy(x).to(cuda)
    for d in (-1, 0, 2):
        np.testing.assert_array_equal(nd.tril(xc, d).cpu().numpy(), np.tril(x, d))
        np.testing.assert_array_equal(nd.triu(xc, d).cpu().numpy(), np.triu(x, d))


@pytest.mark.parametrize("mode,kw", [
    ("LSTM", {}), ("GRU", {}), ("RNN", {"nonlinearity": "relu"}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}), ("GRU", {"batch_first": True, "bidirectional": True}),
    ("RNN", {"num_layers": 2, "bias": False}), ("LSTM", {"num_layers": 2, "proj_size": 3, "bidirectional": True}),
])
def test_recurrent_layers_match_the_cpu(cuda, mode, kw):
    """Whole sequences: per-step GEMMs and the gate kernels on the GPU, BPTT included."""
    rng = np.random.default_rng(17)
    x_np = rng.standard_normal((6, 3, 5) if not kw.get("batch_first") else (3, 6, 5))
    res = []
    for device in ("cpu", cuda):
        nd.manual_seed(0)
        net = getattr(nn, mode)(5, 4, **kw).double().to(device)
        x = nd.from_numpy(x_np).to(device).requires_grad_(True)
        out, hidden = net(x)
        hs = hidden if isinstance(hidden, tuple) else (hidden,)
        assert out.device == x.device and all(h.device == x.device for h in hs)
        sum(((h * 0.5).sum() for h in hs), (out * out).sum()).backward()
        res.append([t.detach().cpu().numpy() for t in (out, *hs, x.grad, *[p.grad for p in net.parameters()])])
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode,proj", [("LSTM", 0), ("LSTM", 4), ("GRU", 0), ("RNN_TANH", 0)])
def test_recurrent_lengths_freeze_rows_on_the_gpu(cuda, mode, proj):
    """Rows past their length keep their state, output 0 and get no gradient (the lengths may
    stay on the CPU, as PyTorch keeps them)."""
    rng = np.random.default_rng(18)
    G, P = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1}[mode], proj or 6
    shapes = [(5, 4, 3), (G * 6, 3), (G * 6, P), (G * 6,), (G * 6,)] + ([(P, 6)] if proj else [])
    arrays = [rng.standard_normal(s) for s in shapes]
    lengths = nd.tensor([5, 2, 4, 1])
    res = []
    for device in ("cpu", cuda):
        x, *params = (nd.from_numpy(a).to(device).requires_grad_(True) for a in arrays)
        outs = nd._C._rnn(mode, x, [], params, True, 1, 0.0, False, False, False, proj, lengths)
        sum(((o * o).sum() for o in outs), nd.zeros((), dtype=nd.float64, device=device)).backward()
        res.append([t.detach().cpu().numpy() for t in (*outs, x.grad, *[p.grad for p in params])])
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_recurrent_cells_and_errors_on_the_gpu(cuda):
    rng = np.random.default_rng(19)
    for cell in (nn.LSTMCell(3, 5), nn.GRUCell(3, 5), nn.RNNCell(3, 5)):
        x_np = rng.standard_normal((4, 3))
        res = []
        for device in ("cpu", cuda):
            c = cell.double().to(device)
            x = nd.from_numpy(x_np).to(device).requires_grad_(True)
            out = c(x)
            outs = out if isinstance(out, tuple) else (out,)
            sum((o * o).sum() for o in outs).backward()
            res.append([t.detach().cpu().numpy() for t in (*outs, x.grad)])
            c.zero_grad()
        for got, want in zip(res[1], res[0]):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    with pytest.raises(RuntimeError, match=r"\[lstm\] expected all tensors to be on the same device"):
        nn.LSTM(3, 5)(nd.ones(2, 1, 3, device=cuda))


def test_copy_based_ops_keep_results_on_the_gpu(cuda):
    """Ops built from copy_ (which crosses devices) allocate on their input's device: cat, stack,
    pad, the backward of views that drop elements, logsumexp over nothing."""
    x = nd.arange(12, dtype=nd.float64, device=cuda).reshape(3, 4).requires_grad_(True)
    for y in (nd.cat([x, x], 0), nd.stack([x, x], 1), F.pad(x, (1, 2)), nd.logsumexp(x[:, :0], 1)):
        assert y.is_cuda
    x[1:, 2].sum().backward()
    assert x.grad.is_cuda and x.grad.cpu().numpy()[1:, 2].tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(nd.cat([x, x], 1).detach().cpu().numpy(), np.tile(np.arange(12.0).reshape(3, 4), 2))
    with pytest.raises(RuntimeError, match=r"\[cat\] expected all tensors to be on the same device"):
        nd.cat([x, nd.ones(3, 4, dtype=nd.float64)], 0)


@pytest.mark.parametrize("dtype", [nd.float32, nd.float64, nd.int64, nd.int32, nd.uint8, nd.bool])
def test_cumsum_cumprod_match_the_cpu(cuda, dtype):
    """Long rows (several chunks of the block scan), columns (inner > 1), reversed scans (the
    backward of cumsum) and integer wraparound, exactly as the CPU for integers."""
    rng = np.random.default_rng(20)
    for shape, dim in (((3, 1000), 1), ((2, 700, 5), 1), ((4, 3), 0), ((1, 1), 1), ((5,), 0)):
        a = rng.standard_normal(shape) * 3
        x = nd.from_numpy(a).to(dtype)
        xc = x.to(cuda)
        for f in (nd.cumsum, nd.cumprod):
            got, want = f(xc, dim).cpu().numpy(), f(x, dim).numpy()
            if dtype.is_floating_point:
                np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == nd.float32 else 1e-12, atol=1e-6)
            else:
                np.testing.assert_array_equal(got, want)
    if dtype.is_floating_point:
        a = rng.standard_normal((3, 600))
        res = []
        for device in ("cpu", cuda):
            t = nd.from_numpy(a).to(dtype).to(device).requires_grad_(True)
            (nd.cumsum(t, 1) * nd.arange(600.0, device=device).to(dtype)).sum().backward()
            res.append(t.grad.cpu().numpy())
        np.testing.assert_allclose(res[1], res[0], rtol=1e-5, atol=1e-3)


def test_indexing_family_matches_the_cpu(cuda):
    """index_select, x[idx] (CPU or GPU index, masks), index_put_ (last write wins, as on the
    CPU), index_add (atomic float sums), take, nonzero, masked_select, with gradients."""
    rng = np.random.default_rng(21)
    a = rng.standard_normal((6, 5, 4))
    idx = nd.tensor([4, 0, 4, 2])
    mask = nd.from_numpy(a[:, :, 0] > 0)
    res = []
    for device in ("cpu", cuda):
        x = nd.from_numpy(a).to(device).requires_grad_(True)
        outs = [nd.index_select(x, 1, idx.to(device)), x[idx], x[:, idx.to(device)], x[mask], x[mask.to(device)],
                nd.take(x, idx), nd.nonzero(x > 0.5), nd.masked_select(x, x > 0)]
        floats = [o for o in outs if o.dtype == nd.float64]
        sum(((o * o).sum() for o in floats[1:]), (floats[0] * floats[0]).sum()).backward()
        y = x.detach().clone()
        y[idx] = nd.arange(4.0 * 5 * 4, dtype=nd.float64).reshape(4, 5, 4).to(device)  # row 4 twice: the last wins
        y.index_put_((idx,), nd.ones(5, 4, dtype=nd.float64, device=device), accumulate=True)
        z = nd.index_add(x.detach(), 2, nd.tensor([3, 0, 3], device=device), nd.ones(6, 5, 3, dtype=nd.float64,
                                                                                    device=device))
        assert all(o.device == x.device for o in outs + [y, z])
        res.append([t.detach().cpu().numpy() for t in outs + [x.grad, y, z]])
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kw", [{"mode": "sum"}, {"mode": "mean"}, {"mode": "sum", "padding_idx": 2},
                                {"mode": "mean", "offsets": True}, {"mode": "sum", "per_sample_weights": True}])
def test_embedding_bag_matches_the_cpu(cuda, kw):
    rng = np.random.default_rng(22)
    w_np = rng.standard_normal((7, 5))
    inp = nd.tensor([[0, 2, 6], [2, 2, 1], [5, 3, 2]])
    res = []
    for device in ("cpu", cuda):
        w = nd.from_numpy(w_np).to(device).requires_grad_(True)
        args = dict(mode=kw["mode"], padding_idx=kw.get("padding_idx"))
        x = inp.to(device)
        if kw.get("offsets"):
            x, args["offsets"] = x.reshape(-1), nd.tensor([0, 4, 4], device=device)
        if kw.get("per_sample_weights"):
            args["per_sample_weights"] = nd.from_numpy(np.linspace(0.5, 2, 9).reshape(3, 3)).to(device)
        y = F.embedding_bag(x, w, **args)
        (y * y).sum().backward()
        assert y.device == w.device
        res.append([y.detach().cpu().numpy(), w.grad.cpu().numpy()])
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_packed_sequences_on_the_gpu(cuda):
    """pad_sequence, pack_padded_sequence (unsorted), an LSTM over the packed batch and
    pad_packed_sequence on the GPU, against the CPU."""
    from nativedl.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
    rng = np.random.default_rng(23)
    seqs = [rng.standard_normal((n, 3)) for n in (2, 5, 3)]
    res = []
    for device in ("cpu", cuda):
        nd.manual_seed(0)
        lstm = nn.LSTM(3, 4).double().to(device)
        padded = pad_sequence([nd.from_numpy(s).to(device) for s in seqs])
        packed = pack_padded_sequence(padded, [2, 5, 3], enforce_sorted=False)
        out, (h, c) = lstm(packed)
        y, lengths = pad_packed_sequence(out)
        assert y.device == padded.device == h.device
        (y.sum() + h.sum()).backward()
        res.append([t.detach().cpu().numpy() for t in (y, h, c, lstm.weight_hh_l0.grad)] + [lengths.numpy()])
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kw,call", [({}, {"is_causal": True, "need_weights": False}),
                                     ({"add_zero_attn": True, "add_bias_kv": True}, {"need_weights": True}),
                                     ({"batch_first": True}, {"key_padding_mask": True, "need_weights": False})])
def test_multihead_attention_matches_the_cpu(cuda, kw, call):
    """The module's masks (causal, key padding, the zero-attention and bias_k/v columns) are made
    on the queries' device."""
    rng = np.random.default_rng(24)
    x_np = rng.standard_normal((3, 4, 8))
    res = []
    for device in ("cpu", cuda):
        nd.manual_seed(0)
        mha = nn.MultiheadAttention(8, 2, **kw).double().to(device)
        x = nd.from_numpy(x_np).to(device).requires_grad_(True)
        args = dict(call)
        if args.get("is_causal"):
            args["attn_mask"] = None
        if args.pop("key_padding_mask", False):
            args["key_padding_mask"] = nd.tensor([[False, False, True, False]] * 3, device=device)
        out, weights = mha(x, x, x, **args)
        (out * out).sum().backward()
        res.append([t.detach().cpu().numpy() for t in (out, x.grad, mha.in_proj_weight.grad)]
                   + ([weights.detach().cpu().numpy()] if weights is not None else []))
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_cuda_peak_probe_measures_the_device(cuda):
    peak = nd._C._measure_cuda_peak(64 << 20, 2)
    assert peak["fma_gflops"] > 100 and peak["triad_gbs"] > 10  # any CUDA GPU this backend builds for


@pytest.mark.parametrize("dtype", [nd.float32, nd.float64, nd.int64, nd.int32, nd.uint8, nd.bool])
def test_sort_argsort_topk_match_the_cpu_exactly(cuda, dtype):
    """Rank counting gives the CPU's order exactly: ties by position, NaN above every number,
    rows longer than one block, topk's first k, the gradient scattered back."""
    rng = np.random.default_rng(25)
    a = np.round(rng.standard_normal((3, 700)) * 4)  # many ties
    if dtype.is_floating_point:
        a[0, ::7] = np.nan
        a[1, 3] = -0.0
    x = nd.from_numpy(a).to(dtype)
    xc = x.to(cuda)
    for desc in (False, True):
        for dim in (0, 1):
            for want, got in zip(nd.sort(x, dim, desc), nd.sort(xc, dim, desc)):
                np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())
        np.testing.assert_array_equal(nd.argsort(xc, 1, desc).cpu().numpy(), nd.argsort(x, 1, desc).numpy())
    for k in (0, 1, 5, 700):
        for want, got in zip(nd.topk(x, k, 1), nd.topk(xc, k, 1)):
            assert got.device == xc.device
            np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())
    if dtype.is_floating_point:
        res = []
        for device in ("cpu", cuda):
            t = nd.from_numpy(np.nan_to_num(a)).to(dtype).to(device).requires_grad_(True)
            (nd.topk(t, 9, 1)[0] * nd.arange(9.0, device=device).to(dtype)).sum().backward()
            res.append(t.grad.cpu().numpy())
        np.testing.assert_array_equal(res[1], res[0])
