"""Pooling and resampling beyond the op table: F.* argument handling, LP pooling, unpooling,
NaN propagation, double backward and errors."""
import numpy as np
import pytest

import nativedl as nd
import nativedl.nn.functional as F
from test_normalization import double_backward_check, t


def test_functional_max_pool_return_indices_and_stride_default():
    x = t(np.arange(16.0).reshape(1, 1, 4, 4))
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(out.numpy()[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[5, 7], [13, 15]])  # flat h * W + w per plane
    assert F.max_pool2d(x, (2, 2), stride=None).shape == (1, 1, 2, 2)
    assert F.max_pool1d(t(np.ones((2, 3, 8))), 3, stride=2, padding=1).shape == (2, 3, 4)


def test_max_pool_nan_wins():
    x = np.zeros((1, 1, 2, 2))
    x[0, 0, 1, 0] = np.nan
    out, idx = F.max_pool2d(t(x), 2, return_indices=True)
    assert np.isnan(out.numpy()).all() and idx.numpy().item() == 2


def test_max_pool_gradient_goes_to_argmax_once_per_window():
    x = t(np.array([[[1.0, 5.0, 2.0, 0.0]]]), True)
    F.max_pool1d(x, 2, stride=1).sum().backward()  # windows (1,5) (5,2) (2,0): 5 is the max twice
    np.testing.assert_array_equal(x.grad.numpy(), [[[0, 2, 1, 0]]])


@pytest.mark.parametrize("kw", [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, stride=1),
                                dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
                                dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=4, stride=3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_gradient_with_ties_goes_to_first_max(kw, dtype):
    from op_table.pooling import ref_max_pool2d
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(2, 3, 9, 37)).astype(dtype)  # ties in most windows
    _, idx = ref_max_pool2d(x, **kw)
    g = rng.normal(size=idx.shape).astype(dtype)
    want = np.zeros((6, 9 * 37), dtype)
    for p, (ip, gp) in enumerate(zip(idx.reshape(6, -1), g.reshape(6, -1))):
        np.add.at(want[p], ip, gp)
    for with_indices in (False, True):  # tap codes, flat indices
        xt = t(x, True)
        out = F.max_pool2d(xt, return_indices=with_indices, **kw)
        (out[0] if with_indices else out).backward(t(g))
        np.testing.assert_array_equal(xt.grad.numpy(), want.reshape(x.shape))


@pytest.mark.parametrize("kw, shape", [
    (dict(kernel_size=(2, 4), stride=(2, 3), padding=(1, 2), dilation=(2, 2), ceil_mode=True), (2, 3, 1, 36)),
    (dict(kernel_size=(1, 2), stride=(1, 2), padding=(0, 1), dilation=(1, 2)), (1, 2, 5, 1)),
])
def test_max_pool_windows_wholly_in_padding_are_minus_inf(kw, shape):
    # Dilation can step over the input (PyTorch allows it): such windows give -inf, and their
    # gradient goes nowhere.
    x = t(np.random.default_rng(0).normal(size=shape), True)
    out = F.max_pool2d(x, **kw)
    assert np.isneginf(out.detach().numpy()).all()
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(shape))
    assert np.isneginf(F.max_pool2d(x.detach(), return_indices=True, **kw)[0].numpy()).all()


def test_lp_pool_matches_loops():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 2, size=(2, 3, 5, 6))
    for p in (1, 2, 3):
        out = F.lp_pool2d(t(x), p, (2, 3), stride=(2, 2)).numpy()
        ref = np.zeros((2, 3, 2, 2))
        for i in range(2):
            for j in range(2):
                ref[:, :, i, j] = (x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 3] ** p).sum(axis=(2, 3)) ** (1 / p)
        np.testing.assert_allclose(out, ref, rtol=1e-10)
    out1 = F.lp_pool1d(t(x[:, :, 0]), 2, 3).numpy()
    np.testing.assert_allclose(out1, np.sqrt((x[:, :, 0, :6] ** 2).reshape(2, 3, 2, 3).sum(-1)), rtol=1e-10)


def test_unpool_roundtrip_and_output_size():
    rng = np.random.default_rng(1)
    x = t(rng.normal(size=(2, 3, 5, 7)))
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    up = F.max_unpool2d(out, idx, 2, output_size=(5, 7)).numpy()
    assert up.shape == (2, 3, 5, 7)
    flat = up.reshape(6, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(6, -1), 1), out.numpy().reshape(6, -1))
    assert (up != 0).sum() == out.numel()
    assert F.max_unpool2d(out, idx, 2, output_size=(2, 3, 5, 7)).shape == (2, 3, 5, 7)  # (N, C, H, W) accepted
    o1, i1 = F.max_pool1d(t(rng.normal(size=(1, 2, 6))), 2, return_indices=True)
    assert F.max_unpool1d(o1, i1, 2).shape == (1, 2, 6)


@pytest.mark.parametrize("fn", [
    lambda a: F.avg_pool2d(a, 2, 1, 1, count_include_pad=False),
    lambda a: F.max_pool2d(a, 2, 1),
    lambda a: F.adaptive_avg_pool2d(a, (2, 3)),
    lambda a: F.interpolate(a, scale_factor=1.5, mode="bilinear"),
    lambda a: F.interpolate(a, size=(4, 2), mode="bicubic", align_corners=True),
])
def test_double_backward(fn):
    rng = np.random.default_rng(2)
    double_backward_check(fn, [t(rng.normal(size=(1, 2, 3, 3)), True)])


def test_max_unpool_double_backward():
    rng = np.random.default_rng(3)
    _, idx = F.max_pool2d(t(rng.normal(size=(1, 2, 4, 4))), 2, return_indices=True)
    double_backward_check(lambda a: F.max_unpool2d(a, idx, 2), [t(rng.normal(size=(1, 2, 2, 2)), True)])


def test_interpolate_area_and_recompute_scale_factor():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1, 2, 6, 4))
    area = F.interpolate(t(x), size=(3, 2), mode="area").numpy()
    np.testing.assert_allclose(area, x.reshape(1, 2, 3, 2, 2, 2).mean(axis=(3, 5)), rtol=1e-12)
    # With recompute_scale_factor the coordinates follow the output size (5 / 3), not 1 / 1.7.
    a = F.interpolate(t(x[..., :3, :3]), scale_factor=1.7, mode="bilinear", recompute_scale_factor=True).numpy()
    b = F.interpolate(t(x[..., :3, :3]), size=(5, 5), mode="bilinear").numpy()
    np.testing.assert_array_equal(a, b)


def test_pooling_errors():
    x = t(np.ones((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"\[max_pool2d\] expected a 3-d or 4-d \(batched\) input"):
        F.max_pool2d(t(np.ones((4, 4))), 2)
    with pytest.raises(ValueError, match=r"\[avg_pool1d\] expected a 2-d or 3-d"):
        F.avg_pool1d(x, 2)
    with pytest.raises(ValueError, match=r"\[max_pool2d\] input \(1, 2, 4, 4\) is too small for kernel_size=\(5, 5\)"):
        F.max_pool2d(x, 5)
    with pytest.raises(ValueError, match=r"\[avg_pool2d\] padding should be at most half of kernel size"):
        F.avg_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"\[max_pool2d\] kernel_size, stride and dilation must be positive"):
        F.max_pool2d(x, 2, stride=0)
    with pytest.raises(ValueError, match=r"\[avg_pool2d\] divisor must be not zero"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(TypeError, match=r"\[max_pool2d\] expected a floating point input"):
        F.max_pool2d(nd.from_numpy(np.ones((1, 4, 4), np.int64)), 2)
    with pytest.raises(TypeError, match=r"kernel_size must be an int or a sequence"):
        F.max_pool2d(x, "a")
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    with pytest.raises(ValueError, match=r"\[max_unpool2d\] invalid output_size \(9, 9\)"):
        F.max_unpool2d(out, idx, 2, output_size=(9, 9))
    with pytest.raises(IndexError, match=r"\[max_unpool2d\] found an invalid max index 10 for output_size=\(3, 3\)"):
        nd.max_unpool2d(out, idx, (3, 3))
    with pytest.raises(ValueError, match=r"\[max_unpool2d\] indices \(1, 2, 1, 2\) must have the shape of input"):
        nd.max_unpool2d(out, idx[..., :1, :], (4, 4))


def test_resample_errors():
    x = t(np.ones((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"\[interpolate\] mode 'linear' expects a 3-d input, got a 4-d input"):
        F.interpolate(x, size=2, mode="linear")
    with pytest.raises(ValueError, match=r"\[interpolate\] mode 'bicubic' expects a 4-d input"):
        F.interpolate(t(np.ones((1, 2, 4))), size=2, mode="bicubic")
    with pytest.raises(ValueError, match=r"align_corners option can only be set with the interpolating modes"):
        F.interpolate(x, size=2, mode="nearest", align_corners=True)
    with pytest.raises(ValueError, match=r"exactly one of size and scale_factor"):
        F.interpolate(x, size=2, scale_factor=2.0)
    with pytest.raises(ValueError, match=r"\[interpolate\] mode must be 'nearest'"):
        F.interpolate(x, size=2, mode="trilinear")
    with pytest.raises(ValueError, match=r"\[interpolate\] expected a 3-d \(N, C, L\) or 4-d"):
        F.interpolate(t(np.ones((4, 4))), size=2)
    with pytest.raises(ValueError, match=r"\[pixel_shuffle\] the channel dim of input \(1, 2, 4, 4\) must be divisible"):
        F.pixel_shuffle(x, 2)
    with pytest.raises(ValueError, match=r"\[pixel_unshuffle\] the spatial dims"):
        F.pixel_unshuffle(x, 3)
    with pytest.raises(ValueError, match=r"\[channel_shuffle\] number of channels 2 must be divisible by groups=3"):
        F.channel_shuffle(x, 3)
