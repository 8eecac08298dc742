"""Convolutions beyond the op table: errors, the transposed output size, double backward,
thread-count independence, and parity with PyTorch when it is installed."""
import numpy as np
import pytest

import nativedl as nd
import nativedl.nn.functional as F
from nativedl.autograd import gradcheck

RNG = np.random.default_rng(0)


def _t(*shape, requires_grad=False):
    t = nd.from_numpy(RNG.uniform(-1, 1, size=shape))
    return t.requires_grad_(True) if requires_grad else t


def _f32(*shape):
    return nd.from_numpy(RNG.standard_normal(shape).astype(np.float32))


# --- errors: raised before any output, naming the op, the argument and the shapes ---

@pytest.mark.parametrize("call,exc,message", [
    (lambda: F.conv2d(_f32(8, 3, 32, 32), _f32(16, 4, 3, 3)), ValueError,
     "[conv2d] input (8, 3, 32, 32) has 3 channels but weight (16, 4, 3, 3) expects 4 (groups=1)"),
    (lambda: F.conv2d(_f32(2, 4, 8, 8), _f32(6, 1, 3, 3), groups=2), ValueError,
     "[conv2d] input (2, 4, 8, 8) has 4 channels but weight (6, 1, 3, 3) expects 2 (groups=2)"),
    (lambda: F.conv2d(_f32(2, 4, 8, 8), _f32(5, 2, 3, 3), groups=2), ValueError, "not divisible by groups=2"),
    (lambda: F.conv2d(_f32(1, 3, 4, 4), _f32(2, 3, 5, 5)), ValueError,
     "[conv2d] input (1, 3, 4, 4) padded by (0, 0) is smaller than the kernel of weight (2, 3, 5, 5)"),
    (lambda: F.conv2d(_f32(1, 3, 5, 5), _f32(2, 3, 3, 3), dilation=3), ValueError, "is smaller than the kernel"),
    (lambda: F.conv2d(_f32(1, 3, 5, 5), _f32(2, 3, 3, 3), padding=-1), ValueError,
     "[conv2d] padding must be non-negative, got (-1, -1)"),
    (lambda: F.conv2d(_f32(1, 3, 5, 5), _f32(2, 3, 3, 3), stride=0), ValueError, "[conv2d] stride must be positive"),
    (lambda: F.conv2d(_f32(1, 3, 5, 5), _f32(2, 3, 3, 3), dilation=(1, 0)), ValueError,
     "[conv2d] dilation must be positive, got (1, 0)"),
    (lambda: F.conv2d(_f32(1, 3, 5, 5), _f32(2, 3, 3, 3), groups=0), ValueError, "[conv2d] groups must be positive"),
    (lambda: F.conv2d(_f32(3, 5), _f32(2, 3, 3, 3)), ValueError, "[conv2d] expected a 3D (unbatched) or 4D (batched) input"),
    (lambda: F.conv2d(_f32(1, 3, 5, 5), _f32(2, 3, 3)), ValueError, "[conv2d] expected a 4D weight"),
    (lambda: F.conv2d(_f32(1, 3, 5, 5), _f32(2, 3, 3, 3), _f32(3)), ValueError,
     "[conv2d] bias of shape (3,) does not match the 2 output channels of weight (2, 3, 3, 3)"),
    (lambda: F.conv2d(_f32(1, 3, 5, 5), _f32(2, 3, 3, 3), _f32(1, 2)), ValueError, "[conv2d] expected a 1D bias"),
    (lambda: F.conv2d(nd.from_numpy(np.ones((1, 3, 5, 5), np.int64)), _f32(2, 3, 3, 3)), TypeError,
     "[conv2d] expected a floating-point input"),
    (lambda: F.conv2d(_f32(1, 3, 5, 5), _t(2, 3, 3, 3)), TypeError, "[conv2d] weight has dtype float64"),
    (lambda: F.conv2d(_f32(1, 3, 5, 5), _f32(2, 3, 3, 3), stride=2, padding="same"), ValueError,
     "[conv2d] padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(_f32(1, 3, 5, 5), _f32(2, 3, 3, 3), padding="full"), ValueError, "[conv2d] padding must be"),
    (lambda: F.conv2d(_f32(1, 3, 5, 5), _f32(2, 3, 3, 3), stride=(1, 2, 3)), TypeError,
     "[conv2d] stride must be an int or a tuple of 2 ints"),
    (lambda: F.conv1d(_f32(2, 3, 10), _f32(4, 2, 3)), ValueError,
     "[conv1d] input (2, 3, 10) has 3 channels but weight (4, 2, 3) expects 2 (groups=1)"),
    (lambda: F.conv1d(_f32(2, 3, 2), _f32(4, 3, 3)), ValueError, "[conv1d] input (2, 3, 2) padded by 0 is smaller"),
    (lambda: F.conv_transpose2d(_f32(1, 4, 5, 5), _f32(3, 2, 3, 3)), ValueError,
     "[conv_transpose2d] input (1, 4, 5, 5) has 4 channels but weight (3, 2, 3, 3) expects 3 (groups=1)"),
    (lambda: F.conv_transpose2d(_f32(1, 3, 5, 5), _f32(3, 2, 3, 3), groups=2), ValueError, "not divisible by groups=2"),
    (lambda: F.conv_transpose2d(_f32(1, 4, 5, 5), _f32(4, 2, 3, 3), stride=2, output_padding=2), ValueError,
     "[conv_transpose2d] output_padding (2, 2) must be non-negative and smaller than either stride (2, 2) or dilation (1, 1)"),
    (lambda: F.conv_transpose2d(_f32(1, 4, 5, 5), _f32(4, 2, 3, 3), bias=_f32(4)), ValueError,
     "bias of shape (4,) does not match the 2 output channels"),
    (lambda: F.conv_transpose2d(_f32(1, 4, 1, 1), _f32(4, 2, 3, 3), padding=2), ValueError,
     "[conv_transpose2d] input (1, 4, 1, 1) with weight (4, 2, 3, 3) gives an empty output"),
    (lambda: F.conv_transpose1d(_f32(1, 4, 5), _f32(4, 2, 3), padding=-1), ValueError,
     "[conv_transpose1d] padding must be non-negative, got -1"),
])
def test_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert message in str(info.value)


# --- conv_transpose output size: (i - 1) s - 2p + d (k - 1) + output_padding + 1 ---

@pytest.mark.parametrize("i,k,s,p,op,d", [
    (5, 3, 1, 0, 0, 1), (5, 3, 2, 0, 0, 1), (5, 3, 2, 1, 1, 1), (4, 4, 2, 1, 0, 1), (4, 4, 2, 1, 1, 1),
    (6, 3, 3, 2, 2, 1), (5, 3, 1, 1, 1, 2), (3, 2, 2, 0, 1, 3), (7, 1, 1, 0, 0, 1),
])
def test_conv_transpose_output_size(i, k, s, p, op, d):
    expected = (i - 1) * s - 2 * p + d * (k - 1) + op + 1
    y2 = F.conv_transpose2d(_f32(2, 3, i, i + 1), _f32(3, 2, k, k), stride=s, padding=p, output_padding=op, dilation=d)
    assert tuple(y2.shape) == (2, 2, expected, expected + s)
    y1 = F.conv_transpose1d(_f32(2, 3, i), _f32(3, 4, k), stride=s, padding=p, output_padding=op, dilation=d)
    assert tuple(y1.shape) == (2, 4, expected)


# --- double backward: every gradient is a convolution, so gradients of gradients exist ---

@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), ((1, 2, 5, 5), (3, 2, 3, 3), (3,))),
    (lambda x, w, b: F.conv2d(x, w, b, groups=2, dilation=2, padding=1), ((1, 4, 5, 5), (4, 2, 3, 3), (4,))),
    (lambda x, w, b: F.conv2d(x, w, b, groups=2, padding=1), ((1, 2, 4, 4), (4, 1, 3, 3), (4,))),
    (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, output_padding=1), ((1, 2, 3, 3), (2, 3, 3, 3), (3,))),
    (lambda x, w, b: F.conv1d(x, w, b, padding="same"), ((2, 2, 6), (3, 2, 4), (3,))),
])
def test_double_backward(fn, shapes):
    x, w, b = (_t(*s, requires_grad=True) for s in shapes)

    def first_grads(x, w, b):
        with nd.enable_grad():  # gradcheck's finite differences run under no_grad
            out = fn(x, w, b)
            return nd.autograd.grad([(out * out).sum()], [x, w], create_graph=True)

    assert gradcheck(first_grads, (x, w, b))


def test_no_grad_records_nothing():
    x, w = _t(1, 2, 4, 4, requires_grad=True), _t(3, 2, 3, 3, requires_grad=True)
    with nd.no_grad():
        y = F.conv2d(x, w)
    assert not y.requires_grad


def test_empty_batch():
    y = F.conv2d(_f32(0, 3, 6, 6), _f32(4, 3, 3, 3), _f32(4), padding=1)
    assert tuple(y.shape) == (0, 4, 6, 6)
    x, w = _t(0, 2, 5, 5, requires_grad=True), _t(3, 2, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert np.all(w.grad.numpy() == 0) and tuple(x.grad.shape) == (0, 2, 5, 5)


@pytest.mark.parametrize("groups,wshape,xshape", [
    (1, (16, 8, 3, 3), (5, 8, 12, 12)), (8, (16, 1, 3, 3), (5, 8, 12, 12)), (1, (16, 8, 1, 1), (5, 8, 12, 12)),
    (1, (16, 64, 3, 3), (8, 64, 12, 12)),  # Winograd, two blocks of tiles
])
def test_results_do_not_depend_on_thread_count(groups, wshape, xshape):
    """Batch-parallel forward, transpose and weight gradient give the same numbers on 1 and 2 threads."""
    x, w = _f32(*xshape), _f32(*wshape)
    old = nd.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            nd.set_num_threads(threads)
            xr, wr = x.detach().requires_grad_(True), w.detach().requires_grad_(True)
            y = F.conv2d(xr, wr, groups=groups, padding=wshape[-1] // 2)
            (y * y).sum().backward()
            results.append([y.detach().numpy(), xr.grad.numpy(), wr.grad.numpy()])
    finally:
        nd.set_num_threads(old)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)


# --- parity with PyTorch's semantics (skipped when PyTorch is not installed) ---

@pytest.mark.parametrize("name,shapes,kw", [
    ("conv2d", ((2, 3, 7, 8), (4, 3, 2, 4), (4,)), dict(padding="same", dilation=(2, 1))),
    ("conv2d", ((2, 4, 9, 9), (8, 1, 3, 3), (8,)), dict(groups=4, stride=2, padding=1)),
    ("conv1d", ((2, 3, 11), (4, 3, 4), None), dict(padding="same")),
    ("conv_transpose2d", ((2, 4, 5, 6), (4, 3, 3, 3), (6,)), dict(stride=2, padding=1, output_padding=(1, 0), groups=2)),
    ("conv_transpose1d", ((2, 4, 5), (4, 2, 3), (2,)), dict(stride=3, dilation=2, output_padding=1)),
])
def test_matches_pytorch(name, shapes, kw):
    torch = pytest.importorskip("torch")
    arrays = [RNG.standard_normal(s) if s is not None else None for s in shapes]
    ours = getattr(F, name)(*[nd.from_numpy(a) if a is not None else None for a in arrays], **kw)
    theirs = getattr(torch.nn.functional, name)(*[torch.from_numpy(a) if a is not None else None for a in arrays], **kw)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-10)


# --- the kernels' fast paths against plain NumPy (float64): Winograd F(2x2, 3x3) (3x3, stride
# 1, >= 16 channels per group, >= 4x4 outputs per dilation phase, >= 32 tiles in the batch),
# several small images per GEMM, wide columns, whole-image filters, and col2im through phase planes ---

def _np_conv2d_and_grads(x, w, b, g, stride, padding, dilation, groups):
    """y = conv2d(x, w) + b and the gradients of sum(y * g), written from the definition."""
    (ph, pw), (dh, dw_) = (np.broadcast_to(v, 2) for v in (padding, dilation))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    og = o // groups
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // stride + 1
    ow = (wd + 2 * pw - dw_ * (kw - 1) - 1) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros((n, o, oh, ow)) + b[None, :, None, None]
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + stride * (oh - 1) + 1, stride)
            cols = slice(j * dw_, j * dw_ + stride * (ow - 1) + 1, stride)
            for grp in range(groups):
                cs, os_ = slice(grp * cg, (grp + 1) * cg), slice(grp * og, (grp + 1) * og)
                patch = xp[:, cs, rows, cols]
                y[:, os_] += np.einsum("ncpq,oc->nopq", patch, w[os_, :, i, j])
                dxp[:, cs, rows, cols] += np.einsum("nopq,oc->ncpq", g[:, os_], w[os_, :, i, j])
                dw[os_, :, i, j] += np.einsum("nopq,ncpq->oc", g[:, os_], patch)
    dx = dxp[:, :, ph:ph + h, pw:pw + wd]
    return y, dx, dw, g.sum(axis=(0, 2, 3))


@pytest.mark.parametrize("xshape,wshape,kw", [
    ((3, 16, 9, 11), (16, 16, 3, 3), dict(padding=1)),                     # Winograd, odd sizes
    ((2, 32, 10, 12), (24, 16, 3, 3), dict(padding=0, groups=2)),          # Winograd, groups
    ((2, 20, 19, 21), (24, 20, 3, 3), dict(padding=1)),                    # Winograd, vector tails
    ((41, 16, 8, 8), (16, 16, 3, 3), dict(padding=2)),                     # Winograd, many blocks
    ((8, 16, 5, 4), (16, 16, 3, 3), dict(padding=1)),                      # Winograd, small images
    ((1, 32, 8, 8), (32, 32, 3, 3), dict(padding=1)),                      # too few tiles: GEMM
    ((33, 8, 4, 4), (8, 4, 3, 3), dict(padding=1, groups=2)),             # several images per GEMM
    ((2, 16, 12, 13), (16, 16, 3, 3), dict(padding=2, dilation=2)),        # dilated Winograd: 4 phases
    ((2, 16, 17, 14), (32, 16, 3, 3), dict(padding=(3, 2), dilation=(3, 2))),  # phases of unequal sizes
    ((1, 16, 40, 38), (16, 16, 3, 3), dict(padding=2, dilation=2)),        # phases of 10 tiles a row
    ((2, 16, 9, 10), (16, 16, 3, 3), dict(padding=(1, 3), dilation=(2, 3))),   # padding < dilation
    ((1, 16, 6, 6), (16, 16, 3, 3), dict(padding=1)),                      # few tiles: im2col + GEMM
    ((2, 8, 12, 13), (8, 8, 3, 3), dict(padding=2, dilation=2)),           # dilated: im2col + GEMM
    ((5, 6, 12, 13), (8, 6, 3, 3), dict(stride=2, padding=1)),             # strided: phase-split col2im
    ((4, 6, 14, 14), (16, 6, 5, 5), dict()),                               # wide columns (LeNet's C3)
    ((3, 4, 11, 12), (6, 2, 3, 3), dict(dilation=(2, 1), groups=2)),       # wide columns, dilated, groups
    ((40, 1, 12, 12), (3, 1, 5, 5), dict()),                               # wide columns, many images a block
    ((5, 16, 5, 5), (12, 16, 5, 5), dict()),                               # whole-image filter: one GEMM
    ((3, 8, 4, 3), (6, 4, 4, 3), dict(groups=2, stride=2)),                # whole-image, groups
    ((4, 6, 17, 16), (5, 6, 3, 3), dict(stride=3, padding=2, dilation=2)),
    ((3, 6, 11, 13), (4, 6, 3, 3), dict(stride=3, padding=4, dilation=2)),  # every tap shifted up/left
    ((1, 64, 40, 40), (32, 64, 4, 4), dict(stride=2, padding=1)),          # transpose in several row blocks
] + [(xshape, wshape, dict(kw, groups=xshape[1])) for xshape, wshape, kw in [
    # Depthwise: rows of whole vectors and overlapping or scalar ends, 4-row blocks and their
    # ends, multiplier 2, 5x5 and odd kernels, column strides through phases, dilation.
    ((2, 3, 13, 37), (6, 1, 3, 3), dict(padding=1)),
    ((2, 4, 9, 21), (4, 1, 5, 5), dict(padding=2)),
    ((2, 4, 16, 35), (4, 1, 3, 3), dict(stride=2, padding=1)),
    ((2, 2, 15, 33), (4, 1, 5, 5), dict(stride=2, padding=2)),
    ((1, 2, 11, 40), (2, 1, 3, 3), dict(stride=3, padding=2, dilation=2)),
    ((2, 2, 12, 19), (2, 1, 3, 3), dict(padding=2, dilation=2)),
    ((2, 3, 7, 5), (3, 1, 3, 3), dict(padding=1)),
    ((1, 2, 6, 30), (2, 1, 4, 2), dict(padding=1)),
    ((3, 2, 34, 64), (2, 1, 3, 3), dict(padding=0)),
    # Rows shorter than a vector: the plane as one flat correlation (Note [Flat small planes]).
    ((3, 5, 4, 4), (5, 1, 3, 3), dict(padding=1)),
    ((2, 3, 4, 4), (3, 1, 5, 5), dict(padding=2)),
    ((2, 3, 9, 9), (3, 1, 3, 3), dict(stride=2, padding=1)),
    ((2, 3, 8, 8), (3, 1, 3, 3), dict(padding=2, dilation=2)),
    ((2, 2, 2, 2), (2, 1, 3, 3), dict(padding=1)),
]])
def test_fast_paths_match_numpy(xshape, wshape, kw):
    stride, padding, dilation, groups = (kw.get(k, d) for k, d in (("stride", 1), ("padding", 0), ("dilation", 1),
                                                                     ("groups", 1)))
    x, w, b = RNG.standard_normal(xshape), RNG.standard_normal(wshape), RNG.standard_normal(wshape[0])
    xt, wt, bt = (nd.from_numpy(a).requires_grad_(True) for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, **kw)
    g = RNG.standard_normal(tuple(y.shape))
    (y * nd.from_numpy(g)).sum().backward()
    ref = _np_conv2d_and_grads(x, w, b, g, stride, padding, dilation, groups)
    for got, want in zip([y.detach(), xt.grad, wt.grad, bt.grad], ref):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-10)
    if groups == xshape[1]:  # the depthwise kernels' float32 instances (twice the lanes)
        xt, wt = (nd.from_numpy(a.astype(np.float32)).requires_grad_(True) for a in (x, w))
        y = F.conv2d(xt, wt, nd.from_numpy(b.astype(np.float32)), **kw)
        (y * nd.from_numpy(g.astype(np.float32))).sum().backward()
        for got, want in zip([y.detach(), xt.grad, wt.grad], ref):
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-3)
    # conv_transpose2d is the input gradient's map (output_padding restores x's size): the same
    # numbers, plus its own bias.
    pads, dils = np.broadcast_to(padding, 2), np.broadcast_to(dilation, 2)
    out_pad = tuple(int((xshape[d] + 2 * pads[d - 2] - dils[d - 2] * (wshape[d] - 1) - 1) % stride) for d in (2, 3))
    bx = RNG.standard_normal(xshape[1])
    xg = F.conv_transpose2d(nd.from_numpy(g), nd.from_numpy(w), nd.from_numpy(bx), output_padding=out_pad, **kw)
    np.testing.assert_allclose(xg.numpy(), ref[1] + bx[None, :, None, None], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transpose_infinite_weight_reaches_only_its_taps(dtype):
    # y > 0 and one +inf weight: the outputs that tap reaches are +inf, the others finite; no
    # NaN from the positions a tap does not reach (the GEMM's padding columns, Note [Flat col2im]).
    y = np.abs(RNG.standard_normal((2, 8, 6, 7))).astype(dtype) + 0.5
    w = RNG.standard_normal((8, 3, 4, 4)).astype(dtype)
    w[2, 1, 0, 3] = np.inf
    out = F.conv_transpose2d(nd.from_numpy(y), nd.from_numpy(w), stride=2, padding=1).numpy()
    reached = np.zeros(out.shape[2:], bool)
    reached[1:2 * 6 - 1:2, 2:2 * 7:2] = True  # x row 2p - 1 + 0, column 2q - 1 + 3 (inside x)
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(np.isinf(out[:, 1]), np.broadcast_to(reached, out[:, 1].shape))
    assert np.isfinite(np.delete(out, 1, axis=1)).all()


def test_depthwise_streamed_outputs_match_small_batches():
    """Outputs past 64 MiB are written with streaming stores (Note [Streaming depthwise outputs]):
    the forward, transpose and input gradient give the same numbers as on a small batch."""
    x, w, g = _f32(17, 64, 128, 128), _f32(64, 1, 3, 3), _f32(17, 64, 128, 128)
    xr = x.detach().requires_grad_(True)
    y = F.conv2d(xr, w.detach().requires_grad_(True), padding=1, groups=64)
    y.backward(g)
    t = F.conv_transpose2d(g, w, padding=1, groups=64)
    xs = x[:2].detach().requires_grad_(True)
    ys = F.conv2d(xs, w.detach().requires_grad_(True), padding=1, groups=64)
    ys.backward(g[:2])
    ts = F.conv_transpose2d(g[:2], w, padding=1, groups=64)
    for big, small in [(y.detach(), ys.detach()), (xr.grad, xs.grad), (t, ts)]:
        np.testing.assert_array_equal(big[:2].numpy(), small.numpy())
