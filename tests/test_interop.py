"""Zero-copy exchange with NumPy (from_numpy, .numpy(), buffer protocol) and DLPack
(NumPy and, when installed, PyTorch)."""
import numpy as np
import pytest

import nativedl as nd

DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_]


def sample(dtype, shape=(3, 4)):
    return (np.arange(np.prod(shape)).reshape(shape) % 5).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_numpy_round_trip_all_dtypes(dtype):
    a = sample(dtype)
    t = nd.from_numpy(a)
    assert str(t.dtype) == "nativedl." + np.dtype(dtype).name
    back = t.numpy()
    assert back.dtype == a.dtype and np.shares_memory(back, a)
    np.testing.assert_array_equal(back, a)
    np.testing.assert_array_equal(np.asarray(t), a)
    np.testing.assert_array_equal(np.from_dlpack(t), a)
    np.testing.assert_array_equal(nd.from_dlpack(a).numpy(), a)


def test_from_numpy_and_numpy_share_memory_both_ways():
    a = np.zeros((2, 3), np.float32)
    t = nd.from_numpy(a)
    a[0, 1] = 5.0
    assert t[0, 1].item() == 5.0
    t[1, 2] = 7.0
    assert a[1, 2] == 7.0
    t.add_(1)
    assert a[0, 0] == 1.0
    n = t.numpy()
    n[0, 0] = -3.0
    assert a[0, 0] == -3.0 and t[0, 0].item() == -3.0
    del a, n
    assert t.tolist() == [[-3.0, 6.0, 1.0], [1.0, 1.0, 8.0]]  # the tensor keeps the memory alive


@pytest.mark.parametrize("make", [
    lambda a: a[:, ::2], lambda a: a.T, lambda a: a[::-1], lambda a: a[:, ::-3], lambda a: a[1:, 2:4][::-1, ::-1],
    lambda a: a[:0], lambda a: np.broadcast_to(a[:1], (4, 6)), lambda a: a[2, 3:4],
], ids=["step", "transpose", "neg_rows", "neg_step_cols", "offset_neg_both", "empty", "broadcast", "1elem"])
def test_from_numpy_strided_and_negative_strides(make):
    base = np.arange(24.0).reshape(4, 6)
    a = make(base)
    t = nd.from_numpy(a)
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal((t * 2).numpy(), a * 2)
    np.testing.assert_array_equal(t.contiguous().numpy(), a)
    if a.size and a.flags.writeable:
        t.fill_(-1.0)
        assert np.all(a == -1.0) and (base == -1.0).sum() == a.size


def test_numpy_of_views_and_asarray_zero_copy():
    t = nd.arange(12.0).reshape(3, 4)
    v = t.t()[1:]
    a = v.numpy()
    np.testing.assert_array_equal(a, np.arange(12.0).reshape(3, 4).T[1:])
    a[0, 0] = 99.0
    assert t[0, 1].item() == 99.0
    b = np.asarray(t)
    assert b.ctypes.data == t.data_ptr() and b.shape == (3, 4)
    b[2, 3] = -1.0
    assert t[2, 3].item() == -1.0
    m = memoryview(nd.tensor([True, False]))
    assert m.format == "?" and m.tolist() == [True, False]


def test_numpy_on_requires_grad_raises():
    x = nd.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    with pytest.raises(RuntimeError, match="detach"):
        (x * 2).numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0, 1.0] and x.numpy(force=True).shape == (3,)
    with nd.no_grad():
        assert x.numpy().shape == (3,)


def test_empty_arrays_are_contiguous():
    # NumPy gives an empty array stride 0; PyTorch calls every empty tensor contiguous, so it can
    # be optimized, viewed and reshaped like any other.
    t = nd.from_numpy(np.random.default_rng(0).standard_normal((0, 3))[:, :2])
    assert t.is_contiguous() and t.view(-1).shape == (0,)
    nd.optim.SGD([t.requires_grad_(True)], lr=0.1)


def test_from_numpy_warns_on_a_read_only_array_and_still_shares_it():
    a = np.arange(4.0)
    a.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        t = nd.from_numpy(a)
    assert t.data_ptr() == a.__array_interface__["data"][0]


def test_from_numpy_rejects_unsupported_dtypes():
    for a in (np.zeros(2, np.float16), np.zeros(2, np.int16), np.zeros(2, np.complex64), np.array(["a"])):
        with pytest.raises(TypeError, match="from_numpy"):
            nd.from_numpy(a)


# ------------------------------------------------------------------ DLPack
@pytest.mark.parametrize("make", [lambda t: t, lambda t: t.t(), lambda t: t[:, 1::2], lambda t: t[1]],
                         ids=["contiguous", "transpose", "strided", "row"])
def test_dlpack_to_numpy_shares_memory(make):
    t = make(nd.arange(12.0).reshape(3, 4))
    a = np.from_dlpack(t)
    np.testing.assert_array_equal(a, t.numpy())
    assert a.ctypes.data == t.data_ptr()
    t.fill_(-5.0)
    assert (a == -5.0).all()


def test_dlpack_from_numpy_shares_memory():
    a = np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::-2]
    t = nd.from_dlpack(a)
    assert t.dtype == nd.int32 and tuple(t.shape) == (3, 2)
    np.testing.assert_array_equal(t.numpy(), a)
    t[0, 0] = 100
    assert a[0, 0] == 100
    assert t.__dlpack_device__() == (1, 0)
    capsule = nd.arange(3.0).__dlpack__()
    np.testing.assert_array_equal(nd.from_dlpack(capsule).numpy(), [0.0, 1.0, 2.0])
    with pytest.raises(RuntimeError, match="detach"):
        nd.ones(2, requires_grad=True).__dlpack__()


def test_dlpack_with_torch():
    torch = pytest.importorskip("torch")
    for dtype in DTYPES:
        src = torch.from_numpy(sample(dtype, (2, 5))).t()
        t = nd.from_dlpack(src)
        np.testing.assert_array_equal(t.numpy(), src.numpy())
        assert t.data_ptr() == src.data_ptr()
        back = torch.from_dlpack(t)
        assert back.data_ptr() == t.data_ptr() and back.stride() == src.stride()
        np.testing.assert_array_equal(back.numpy(), src.numpy())
    x = nd.zeros(3)
    y = torch.from_dlpack(x)
    y += 2
    assert x.tolist() == [2.0, 2.0, 2.0]
    z = nd.from_dlpack(torch.arange(4.0))
    z.mul_(3)
    assert z.tolist() == [0.0, 3.0, 6.0, 9.0]
