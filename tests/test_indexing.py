"""Python indexing (x[idx], x[idx] = v) against NumPy, and the error cases of the indexing ops."""
import numpy as np
import pytest

import nativedl as nd

A = np.arange(60, dtype=np.float64).reshape(3, 4, 5)

# Index expressions where PyTorch and NumPy agree (ints next to advanced indices are only
# used where both place the result dims the same way).
GET_CASES = [
    [0, 2], np.array([2, -1]), (slice(None), [1, 3]), (..., [0, 4, 4]), ([0, 2], [1, 3]),
    ([0, 2], slice(None), [1, 3]), (slice(1, None), [[0], [3]], [1, 2, 4]), A > 30, A[:, :, 0] > 20,
    (slice(None), A[0] > 5), (None, [1, 0]), ([[0, 1], [2, 2]],), (slice(None, None, 2), np.array([True, False, True, True])),
    (1, [0, 3]), ([1, 2], 3), (Ellipsis, np.array([[1], [2]])), [], (np.int64(1), [0]),
    ([True, False, True],), (slice(None), [], slice(None)),
]


@pytest.mark.parametrize("index", GET_CASES, ids=range(len(GET_CASES)))
def test_getitem_matches_numpy(index):
    t = nd.from_numpy(A.copy())
    nd_index = tuple(nd.from_numpy(i) if isinstance(i, np.ndarray) and i.dtype == bool and i.ndim > 1 else i
                     for i in index) if isinstance(index, tuple) else index
    got = t[nd_index]
    np.testing.assert_array_equal(got.numpy(), A[index])


def test_getitem_tensor_indices_and_grad():
    x = nd.from_numpy(A.copy()).requires_grad_(True)
    i = nd.tensor([0, 0, 2])
    y = x[i, 1:3]
    np.testing.assert_array_equal(y.detach().numpy(), A[[0, 0, 2], 1:3])
    y.sum().backward()
    expect = np.zeros_like(A)
    np.add.at(expect, ([0, 0, 2], slice(1, 3)), 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), expect)


def test_int_beside_advanced_follows_pytorch():
    # PyTorch applies the int as a view first, so x[0, :, [1, 2]] has shape (4, 2) (NumPy: (2, 4)).
    t = nd.from_numpy(A.copy())
    assert tuple(t[0, :, [1, 2]].shape) == (4, 2)
    np.testing.assert_array_equal(t[0, :, [1, 2]].numpy(), A[0][:, [1, 2]])


SET_CASES = [
    ([0, 2], 7.0), ((slice(None), [1, 3]), np.arange(15.0).reshape(3, 1, 5)), (A > 30, 0.0),
    (([0, 2], slice(None), [1, 3]), np.arange(4.0)), ((..., [4, 0]), -1.0),
    ((A[:, :, 0] > 20,), np.arange(5.0)), ((1, [0, 3]), 2.5), (np.array([-1]), 9.0),
]


@pytest.mark.parametrize("index,value", SET_CASES, ids=range(len(SET_CASES)))
def test_setitem_matches_numpy(index, value):
    t = nd.from_numpy(A.copy())
    expect = A.copy()
    expect[index] = value
    t[index] = nd.from_numpy(np.asarray(value)) if isinstance(value, np.ndarray) else value
    np.testing.assert_array_equal(t.numpy(), expect)


def test_setitem_mask_in_place_on_view():
    base = nd.from_numpy(A.copy())
    x = base[1]
    x[x > 30] = 0
    expect = A.copy()
    expect[1][expect[1] > 30] = 0
    np.testing.assert_array_equal(base.numpy(), expect)


def test_setitem_int_tensor_converts_values():
    t = nd.zeros(5, dtype=nd.int64)
    t[[1, 3]] = 2.7
    assert t.tolist() == [0, 2, 0, 2, 0]


@pytest.mark.parametrize("op", ["get", "set"])
def test_out_of_range_index_raises(op):
    t = nd.from_numpy(A.copy())
    with pytest.raises(IndexError, match=r"\[index(_put_)?\] index 5 is out of bounds for dimension 1 with size 4"):
        if op == "get":
            t[:, [0, 5]]
        else:
            t[:, [0, 5]] = 1.0
    np.testing.assert_array_equal(t.numpy(), A)  # nothing written
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        if op == "get":
            t[[-4]]
        else:
            t[[-4]] = 0.0


def test_bad_index_dtype_raises():
    t = nd.from_numpy(A.copy())
    with pytest.raises(IndexError, match="must be long, int, byte or bool"):
        t[nd.tensor([0.0, 1.0])]
    with pytest.raises(TypeError, match=r"\[gather\] index must be an int64 or int32 tensor"):
        nd.gather(t, 0, nd.zeros(3, 4, 5))
    with pytest.raises(TypeError, match=r"\[index_select\]"):
        nd.index_select(t, 0, nd.tensor([0.0]))


def test_mask_shape_mismatch_raises():
    t = nd.from_numpy(A.copy())
    with pytest.raises(IndexError, match=r"shape of the mask \(3, 5\) does not match"):
        t[nd.ones(3, 5, dtype=nd.bool)]
    with pytest.raises(ValueError, match=r"\[masked_fill\] mask of shape \(2,\)"):
        t.masked_fill(nd.ones(2, dtype=nd.bool), 0.0)


def test_value_shape_mismatch_raises():
    t = nd.from_numpy(A.copy())
    with pytest.raises(ValueError, match=r"value tensor of shape \(3,\) cannot be broadcast to indexing result of shape \(2, 4, 5\)"):
        t[[0, 1]] = nd.ones(3)


def test_cat_errors_name_shapes():
    with pytest.raises(ValueError, match=r"\[cat\] sizes of tensors must match except in dimension 0: tensor 0 has shape \(2, 3\) but tensor 1 has shape \(2, 4\)"):
        nd.cat([nd.ones(2, 3), nd.ones(2, 4)])
    with pytest.raises(ValueError, match=r"\[stack\] expects each tensor to be equal size"):
        nd.stack([nd.ones(2, 3), nd.ones(3, 3)])
    with pytest.raises(IndexError):
        nd.cat([nd.ones(2, 3)], dim=2)


def test_cat_promotes_dtypes():
    out = nd.cat([nd.tensor([1, 2]), nd.tensor([0.5])])
    assert out.dtype == nd.float32 and out.tolist() == [1.0, 2.0, 0.5]


def test_gather_scatter_range_errors():
    x = nd.zeros(3, 4)
    with pytest.raises(IndexError, match=r"\[gather\] index 4 is out of bounds for dimension 1 with size 4"):
        nd.gather(x, 1, nd.tensor([[4]]))
    with pytest.raises(IndexError, match=r"\[scatter_\] index -1 is out of bounds"):
        x.scatter_(0, nd.tensor([[-1]]), 1.0)
    assert x.sum().item() == 0


def test_sort_nan_and_ties():
    x = nd.tensor([2.0, float("nan"), 1.0, 2.0, float("-inf")])
    v, i = nd.sort(x)
    assert i.tolist() == [4, 2, 0, 3, 1] and np.isnan(v.numpy()[-1])
    v, i = nd.sort(x, descending=True)
    assert i.tolist() == [1, 0, 3, 2, 4]
    assert nd.topk(x, 2).indices.tolist() == [1, 0]
    assert nd.sort(nd.tensor(3.0)).values.item() == 3.0


def test_sort_gradient_flows_to_positions():
    x = nd.tensor([3.0, 1.0, 2.0], requires_grad=True)
    nd.topk(x, 2).values.backward(nd.tensor([10.0, 1.0]))
    assert x.grad.tolist() == [10.0, 0.0, 1.0]


def test_index_put_accumulate_repeated():
    x = nd.zeros(4)
    x.index_put_((nd.tensor([1, 1, 3, 1]),), nd.tensor(1.0), accumulate=True)
    assert x.tolist() == [0.0, 3.0, 0.0, 1.0]


def test_pad_errors():
    with pytest.raises(ValueError, match=r"\[pad\] padding size should be less than"):
        nd.pad(nd.ones(2, 3), (3, 0), mode="reflect")
    with pytest.raises(ValueError, match=r"\[pad\] mode must be"):
        nd.pad(nd.ones(2, 3), (1, 1), mode="wrap")


def test_numpy_integer_scalars_index_like_ints():
    x = nd.arange(12).reshape(3, 4)
    ref = np.arange(12).reshape(3, 4)
    for idx in (np.int64(2), np.int32(-1), (np.int64(1), slice(None, None, 2)), np.array(1)):
        np.testing.assert_array_equal(x[idx].numpy(), ref[idx])
    x[np.int64(0)] = 7
    ref[np.int64(0)] = 7
    np.testing.assert_array_equal(x.numpy(), ref)
