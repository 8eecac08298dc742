"""Activations and losses: softmax, cross_entropy forward+backward, a vocabulary-sized log_softmax, and
segmentation losses (softmax focal, multiclass dice) forward+backward. PyTorch has no focal or dice loss,
so its rows compose the same formulas from torch ops (what a PyTorch user would write).

log_softmax runs on (2048, 32000) rather than the issue's (64*128, 32000): that float32 input alone is
1 GiB, too much for the shared build machines; (2048, 32000) is 262 MB and still far beyond cache."""
import numpy as np

from bench.autograd_case import pair
from bench.case import Case, f32_bytes

LIBS = ("nativedl", "torch")
CE, CE_QUICK = (1024, 1000), (256, 1000)
VOCAB, VOCAB_QUICK = (2048, 32000), (256, 32000)
SEG, SEG_QUICK = (16, 21, 128, 128), (2, 21, 64, 64)


def _targets(lib, shape, classes):
    return lib.from_numpy(np.random.default_rng(7).integers(0, classes, size=shape).astype(np.int64))


def _grad_input(lib, shape):
    return lib.randn(shape).requires_grad_(True)


def _softmax(lib, shape):
    x = lib.randn(shape)
    return lambda: lib.m.softmax(x, 1)


def _log_softmax(lib, shape):
    x = lib.randn(shape)
    return lambda: lib.m.log_softmax(x, 1)


def _fwd_bwd(loss_fn):
    """Setup timing loss_fn(F, x, target) and the gradient of x."""
    def setup(lib, shape):
        x = _grad_input(lib, shape)
        target = _targets(lib, (shape[0],) + shape[2:], shape[1])
        F = lib.m.nn.functional
        return lambda: lib.m.autograd.grad(loss_fn(lib.m, F, x, target), [x])
    return setup


def _cross_entropy(m, F, x, t):
    return F.cross_entropy(x, t)


def _focal(m, F, x, t):
    if m.__name__ == "nativedl":
        return F.softmax_focal_loss(x, t, gamma=2.0)
    logp_t = F.log_softmax(x, 1).gather(1, t.unsqueeze(1)).squeeze(1)
    return (-(1 - logp_t.exp()) ** 2 * logp_t).mean()


def _dice(m, F, x, t):
    if m.__name__ == "nativedl":
        return F.dice_loss(x, t, multiclass=True)
    p = F.softmax(x, 1)
    onehot = F.one_hot(t, x.shape[1]).permute(0, 3, 1, 2).to(x.dtype)
    inter, sp, st = (p * onehot).sum((2, 3)), p.sum((2, 3)), onehot.sum((2, 3))
    return (1 - (2 * inter + 1) / (sp + st + 1)).mean()


CASES = [
    Case("softmax_dim1", CE, CE_QUICK, _softmax, bytes=f32_bytes(2), libs=LIBS),
    Case("cross_entropy_fwd_bwd", CE, CE_QUICK, _fwd_bwd(_cross_entropy), bytes=f32_bytes(4), libs=LIBS),
    Case("log_softmax_vocab", VOCAB, VOCAB_QUICK, _log_softmax, bytes=f32_bytes(2), libs=LIBS),
    Case("softmax_focal_fwd_bwd", SEG, SEG_QUICK, _fwd_bwd(_focal), bytes=f32_bytes(4), libs=LIBS),
    Case("dice_multiclass_fwd_bwd", SEG, SEG_QUICK, _fwd_bwd(_dice), bytes=f32_bytes(4), libs=LIBS),
]

# Pointwise activations of MobileNet-style networks, on an expanded feature map: fwd+bwd reads
# x and the output gradient and writes y and the input gradient (tensors_bwd counts both passes).
for _name, _fn in (("relu6", lambda F, x: F.relu6(x)), ("hardswish", lambda F, x: F.hardswish(x))):
    CASES += pair(_name, (32, 96, 32, 32), (2, 8, 16, 16), _fn, tensors_fwd=2, tensors_bwd=5)

# The smooth activations (exp / tanh / sigmoid inside) on the same feature map.
for _name, _fn in (("elu", lambda F, x: F.elu(x)), ("gelu", lambda F, x: F.gelu(x)),
                   ("gelu_tanh", lambda F, x: F.gelu(x, approximate="tanh")), ("silu", lambda F, x: F.silu(x)),
                   ("mish", lambda F, x: F.mish(x))):
    CASES += pair(_name, (32, 96, 32, 32), (2, 8, 16, 16), _fn, tensors_fwd=2, tensors_bwd=5)
