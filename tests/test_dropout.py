"""Dropout statistics, seeding, modes and errors."""
import numpy as np
import pytest

import nativedl as nd
import nativedl.nn.functional as F
from test_normalization import t

N = 200_000


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    nd.manual_seed(0)
    y = F.dropout(nd.ones(N), p).numpy()
    kept = y != 0
    # Fraction zeroed: binomial std sqrt(p (1 - p) / N) <= 0.0012; 5 sigma.
    assert abs((~kept).mean() - p) < 0.006
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)  # inverted dropout scaling
    # The mean is preserved: std of the mean sqrt(p / (1 - p) / N) <= 0.0045 for p = 0.8; 5 sigma.
    assert abs(y.mean() - 1) < 0.025


def test_same_seed_same_mask_and_different_seed_differs():
    x = nd.ones(1000)
    nd.manual_seed(42)
    a = F.dropout(x, 0.5).numpy()
    nd.manual_seed(42)
    b = F.dropout(x, 0.5).numpy()
    nd.manual_seed(43)
    c = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()
    assert (F.dropout(x, 0.5).numpy() != b).any()  # the generator advances between calls


def test_eval_and_extreme_p():
    x = t(np.random.default_rng(0).normal(size=(4, 5)))
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.0).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((4, 5)))
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"\[dropout\] dropout probability has to be between 0 and 1"):
            F.dropout(x, bad)
        with pytest.raises(ValueError, match=r"dropout probability"):
            F.dropout2d(t(np.ones((2, 2, 2, 2))), bad)
    with pytest.raises(TypeError, match=r"\[dropout\] expected a floating point input"):
        F.dropout(nd.from_numpy(np.ones(3, np.int64)))


def test_gradient_is_the_mask():
    nd.manual_seed(3)
    x = t(np.ones(1000), True)
    y = F.dropout(x, 0.3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_inplace():
    x = nd.ones(1000)
    nd.manual_seed(5)
    ref = F.dropout(x, 0.4).numpy()
    nd.manual_seed(5)
    out = F.dropout(x, 0.4, inplace=True)
    np.testing.assert_array_equal(x.numpy(), ref)
    np.testing.assert_array_equal(out.numpy(), ref)


def test_dropout2d_drops_whole_channels():
    nd.manual_seed(1)
    y = F.dropout2d(nd.ones((8, 16, 3, 3)), 0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
    assert F.dropout2d(nd.ones((16, 3, 3)), 0.5).shape == (16, 3, 3)  # unbatched (C, H, W)
    assert F.dropout1d(nd.ones((4, 5, 6)), 0.5).shape == (4, 5, 6)
    with pytest.raises(ValueError, match=r"\[dropout2d\] expected a 3-d \(unbatched\) or 4-d"):
        F.dropout2d(nd.ones((2, 3)), 0.5)


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_keeps_mean_and_variance(feature):
    nd.manual_seed(2)
    x = np.random.default_rng(0).normal(size=(N // 100, 100, 1) if feature else (N,))
    fn = F.feature_alpha_dropout if feature else F.alpha_dropout
    y = fn(t(x), 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.03 and abs(y.std() - 1) < 0.03
    np.testing.assert_array_equal(fn(t(x), 0.2).numpy(), x)  # training defaults to False, as PyTorch
