"""CUDA rows: nativedl's CUDA kernels against PyTorch CUDA. Present only when nd.cuda.is_available();
every timed call ends with a device synchronize, so a row measures finished GPU work. The rows are
issue 9's: sgemm 4096 (float32 and TF32), conv 3x3 (N=32, 64->64, 56x56) fwd+bwd, the depthwise
N=128, C=512, 32x32 forward (512 MiB moved), batch norm train fwd+bwd, LSTM seq 50 fwd+bwd and a
ResNet-18 small-input training step."""
import importlib

import numpy as np

import nativedl as nd

from bench.case import Case, f32_bytes
from bench.cases.models import _model, _step_flops
from bench.cases.rnn import QUICK_SEQ, SEQ, _rnn_flops

LIBS = ("nativedl", "torch")
GPU = {"libs": LIBS, "device": "cuda"}  # % peak / % bw against the GPU's measured limits


def _runs_here(lib):
    """nativedl (these rows exist only with a GPU) and a torch built with CUDA; not NumPy."""
    return lib.name == "nativedl" or (lib.name == "torch" and lib.m.cuda.is_available())


def _synced(lib, fn):
    sync = lib.m.cuda.synchronize
    return lambda: (fn(), sync())


def _on_gpu(op, arity):
    """Setup timing op(module, *inputs) on CUDA float32 inputs of the case's shape."""
    def setup(lib, shape):
        if not _runs_here(lib):
            return None
        args = [lib.randn(shape, seed=i).cuda() for i in range(arity)]
        return _synced(lib, lambda: op(lib.m, *args))
    return setup


def _softmax(m, x):
    return m.nn.functional.softmax(x, 1)


def _tf32_matmul(m, a, b):
    """a @ b with TF32 tensor cores allowed (both libraries' switch, off again afterwards)."""
    m.backends.cuda.matmul.allow_tf32 = True
    try:
        return a @ b
    finally:
        m.backends.cuda.matmul.allow_tf32 = False


def _functional(lib):
    return importlib.import_module(lib.m.__name__ + ".nn.functional")


def _conv(depthwise, backward):
    """3x3 convolution, padding 1, on (N, C, H, W): C -> C channels, or depthwise (groups=C)."""
    def setup(lib, shape):
        if not _runs_here(lib):
            return None
        F, C = _functional(lib), shape[1]
        x = lib.randn(shape).cuda()
        w = lib.randn((C, 1 if depthwise else C, 3, 3), seed=1).cuda()
        groups = C if depthwise else 1
        if not backward:
            def fwd():
                with lib.m.no_grad():
                    return F.conv2d(x, w, padding=1, groups=groups)
            return _synced(lib, fwd)
        x.requires_grad_(True)
        w.requires_grad_(True)
        g = lib.randn(shape, seed=2).cuda()
        return _synced(lib, lambda: lib.m.autograd.grad([F.conv2d(x, w, padding=1, groups=groups)], [x, w], [g]))
    return setup


def _batch_norm(lib, shape):
    if not _runs_here(lib):
        return None
    F, C = _functional(lib), shape[1]
    x = lib.randn(shape).cuda().requires_grad_(True)
    w = lib.from_numpy(np.ones(C, np.float32)).cuda().requires_grad_(True)
    b = lib.from_numpy(np.zeros(C, np.float32)).cuda().requires_grad_(True)
    rm, rv = lib.from_numpy(np.zeros(C, np.float32)).cuda(), lib.from_numpy(np.ones(C, np.float32)).cuda()
    g = lib.randn(shape, seed=1).cuda()
    return _synced(lib, lambda: lib.m.autograd.grad([F.batch_norm(x, rm, rv, w, b, training=True)], [x, w, b], [g]))


def _lstm(lib, shape):
    if not _runs_here(lib):
        return None
    T, B, I, H = shape
    lib.m.manual_seed(0)
    mod = lib.m.nn.LSTM(I, H).cuda()
    x = lib.randn((T, B, I)).cuda().requires_grad_(True)
    params = list(mod.parameters())
    g = lib.randn((T, B, H), seed=1).cuda()
    return _synced(lib, lambda: lib.m.autograd.grad([mod(x)[0]], [x, *params], [g]))


def _resnet_step(lib, shape):
    if not _runs_here(lib):
        return None
    model = _model(lib, "resnet18").cuda()
    model.train()
    F = _functional(lib)
    opt = lib.m.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = lib.randn(shape).cuda()
    y = lib.from_numpy(np.random.default_rng(1).integers(0, 10, shape[0])).cuda()

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return _synced(lib, step)


def _conv_flops(passes):
    return lambda s: passes * 2.0 * s[0] * s[1] * s[2] * s[3] * s[1] * 9


CONV, QUICK_CONV = (32, 64, 56, 56), (2, 8, 8, 8)
DEPTHWISE, QUICK_DEPTHWISE = (128, 512, 32, 32), (2, 8, 8, 8)

CASES = [] if not nd.cuda.is_available() else [
    Case("cuda sgemm", (4096, 4096), (512, 512), _on_gpu(lambda m, a, b: a @ b, 2), flops=lambda s: 2 * s[0] ** 3,
         **GPU),
    Case("cuda sgemm tf32", (4096, 4096), (512, 512), _on_gpu(_tf32_matmul, 2), flops=lambda s: 2 * s[0] ** 3,
         **GPU),
    Case("cuda add", (4096, 4096), (512, 512), _on_gpu(lambda m, a, b: a + b, 2), bytes=f32_bytes(3), **GPU),
    Case("cuda sum over dim 1", (4096, 4096), (512, 512), _on_gpu(lambda m, a: a.sum(1), 1), bytes=f32_bytes(1),
         **GPU),
    Case("cuda softmax", (4096, 4096), (512, 512), _on_gpu(_softmax, 1), bytes=f32_bytes(2), **GPU),
    Case("cuda conv3x3 64->64 fwd+bwd", CONV, QUICK_CONV, _conv(False, True), flops=_conv_flops(3), **GPU),
    # Reads x and writes y once: 512 MiB at the full shape.
    Case("cuda depthwise3x3 fwd", DEPTHWISE, QUICK_DEPTHWISE, _conv(True, False), bytes=f32_bytes(2), **GPU),
    # At least: the forward reads x and writes y, the backward reads x and g and writes dx.
    Case("cuda batch_norm train fwd+bwd", CONV, QUICK_CONV, _batch_norm, bytes=f32_bytes(5), **GPU),
    Case("cuda lstm_seq_fwd_bwd", SEQ, QUICK_SEQ, _lstm, flops=_rnn_flops(4, 3), **GPU),
    Case("cuda ResNet-18 small-input train step", (32, 3, 32, 32), (2, 3, 32, 32), _resnet_step,
         flops=_step_flops("resnet18", 3), **GPU),
]
