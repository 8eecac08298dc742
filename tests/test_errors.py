"""Bad inputs raise the right exception type with a message naming the op and the shapes,
and nothing is written before the check fails; NaN/inf inputs never crash."""
import numpy as np
import pytest

import nativedl as nd

A = nd.zeros(2, 3)
B = nd.zeros(4)
I = nd.zeros(2, 3, dtype=nd.int64)

CASES = [
    # (id, call, exception, message pattern)
    ("broadcast", lambda: A + B, ValueError, r"\[add\].*\(2, 3\).*\(4,\)"),
    ("broadcast_fn", lambda: nd.maximum(A, B), ValueError, r"\[maximum\].*\(2, 3\).*\(4,\)"),
    ("broadcast_cmp", lambda: A < B, ValueError, r"\[lt\].*\(2, 3\).*\(4,\)"),
    ("broadcast_where", lambda: nd.where(A > 0, A, B), ValueError, r"\[where\].*\(4,\)"),
    ("broadcast_inplace", lambda: nd.zeros(3).add_(nd.zeros(2, 3)), ValueError, r"\[add_\].*\(3,\).*\(2, 3\)"),
    ("copy_shape", lambda: nd.zeros(3).copy_(nd.zeros(4)), ValueError, r"\[copy_\].*\(3,\).*\(4,\)"),
    ("dim_transpose", lambda: A.transpose(0, 2), IndexError, r"\[transpose\] dim 2.*2 dims"),
    ("dim_squeeze", lambda: A.squeeze(-3), IndexError, r"\[squeeze\] dim -3"),
    ("dim_unsqueeze", lambda: A.unsqueeze(3), IndexError, r"\[unsqueeze\] dim 3"),
    ("dim_select", lambda: A.select(5, 0), IndexError, r"\[select\] dim 5"),
    ("dim_sum", lambda: A.sum(2), IndexError, r"\[sum\] dim 2"),
    ("dim_flatten", lambda: A.flatten(0, 4), IndexError, r"\[flatten\] dim 4"),
    ("dim_size", lambda: A.stride(3), IndexError, r"\[stride\] dim 3"),
    ("permute_dims", lambda: A.permute(0), ValueError, r"\[permute\].*\(2, 3\)"),
    ("permute_repeat", lambda: A.permute(1, 1), ValueError, r"\[permute\] repeated dim"),
    ("index_get", lambda: A[2], IndexError, r"\[select\] index 2.*size 2.*\(2, 3\)"),
    ("index_get_neg", lambda: A[:, -4], IndexError, r"\[select\] index -4.*size 3"),
    ("index_too_many", lambda: A[0, 0, 0], IndexError, r"too many indices.*\(2, 3\)"),
    ("index_set", lambda: A.__setitem__((0, 3), 1.0), IndexError, r"\[select\] index 3.*size 3"),
    ("index_0d", lambda: nd.tensor(1.0)[0], IndexError, r"too many indices"),
    ("index_type", lambda: A["a"], TypeError, r"\[index\]"),
    ("index_neg_step", lambda: A[::-1], ValueError, r"step"),
    ("narrow_range", lambda: A.narrow(1, 2, 2), IndexError, r"\[narrow\].*\(2, 3\)"),
    ("view_layout", lambda: A.t().view(6), ValueError, r"\[view\].*\(3, 2\).*use reshape"),
    ("view_size", lambda: A.view(4, 2), ValueError, r"\[view\] shape \(4, 2\).*\(2, 3\)"),
    ("reshape_size", lambda: A.reshape(5), ValueError, r"\[reshape\] shape \(5,\).*\(2, 3\) \(6 elements\)"),
    ("reshape_two_infer", lambda: A.reshape(-1, -1), ValueError, r"\[reshape\] only one dimension"),
    ("unflatten_size", lambda: nd.unflatten(A, 1, (2, 2)), ValueError, r"\[unflatten\]"),
    ("expand_size", lambda: A.expand(3, 3), ValueError, r"\[expand\].*\(2, 3\)"),
    ("unbind_0d", lambda: nd.unbind(nd.tensor(1.0)), IndexError, r"\[unbind\] cannot unbind a 0-d"),
    ("unflatten_0d", lambda: nd.unflatten(nd.tensor(1.0), 0, (1,)), IndexError, r"\[unflatten\].*0-d"),
    ("diagonal_dims", lambda: A.diagonal(0, 1, 1), ValueError, r"\[diagonal\] dim1 and dim2"),
    ("requires_grad_int", lambda: nd.zeros(2, dtype=nd.int64).requires_grad_(), TypeError, r"floating point.*int64"),
    ("requires_grad_int_factory", lambda: nd.arange(3, requires_grad=True), TypeError, r"floating point.*int64"),
    ("overlap_add", lambda: nd.zeros(1, 4).expand(3, 4).add_(1), RuntimeError, r"\[add_\].*single memory location"),
    ("overlap_exp", lambda: nd.zeros(4, 1).expand(4, 2).exp_(), RuntimeError, r"\[exp_\].*single memory location"),
    ("overlap_copy", lambda: nd.zeros(1, 4).expand(3, 4).copy_(nd.ones(3, 4)), RuntimeError, r"\[copy_\].*\(3, 4\)"),
    ("inplace_float_into_int", lambda: I.clone().mul_(1.5), TypeError, r"\[mul_\].*float32.*int64"),
    ("inplace_div_into_int", lambda: I.clone().div_(2), TypeError, r"\[div_\].*float32.*int64"),
    ("inplace_exp_into_int", lambda: I.clone().exp_(), TypeError, r"\[exp_\].*int64"),
    ("inplace_add_into_int", lambda: nd.zeros(2, dtype=nd.int32).add_(nd.zeros(2)), TypeError, r"\[add_\].*float32.*int32"),
    ("bool_sub", lambda: nd.tensor([True]) - nd.tensor([False]), TypeError, r"\[sub\].*bool"),
    ("bool_sub_inplace", lambda: nd.tensor([True]).sub_(True), TypeError, r"\[sub\].*bool"),
    ("t_3d", lambda: nd.zeros(2, 3, 4).t(), ValueError, r"\[t\].*\(2, 3, 4\)"),
    ("as_strided_grad", lambda: nd.as_strided(nd.ones(4, requires_grad=True), (2,), (1,)), RuntimeError, r"\[as_strided\]"),
    ("bool_neg", lambda: -nd.tensor([True]), TypeError, r"\[neg\].*bool"),
    ("bitwise_float", lambda: A & A, TypeError, r"\[bitwise\].*bool"),
    ("where_cond_dtype", lambda: nd.where(A, A, A), TypeError, r"\[where\] condition.*float32"),
    ("int_div_zero", lambda: nd.tensor([1, 2]) // nd.tensor([1, 0]), ValueError, r"\[div_floor\] integer division by zero"),
    ("int_mod_zero", lambda: nd.tensor([1, 2]) % 0, ValueError, r"\[remainder\] integer division by zero"),
    ("int_pow_negative", lambda: nd.tensor([2]) ** -1, ValueError, r"\[pow\].*negative"),
    ("rounding_mode", lambda: nd.div(A, A, rounding_mode="round"), ValueError, r"\[div\] rounding_mode"),
    ("clamp_no_bounds", lambda: nd.clamp(A), ValueError, r"\[clamp\]"),
    ("item_many", lambda: A.item(), ValueError, r"\[item\].*6 elements.*\(2, 3\)"),
    ("bool_many", lambda: bool(A), RuntimeError, r"ambiguous"),
    ("numpy_requires_grad", lambda: nd.ones(2, requires_grad=True).numpy(), RuntimeError, r"\[numpy\].*detach"),
    ("zeros_negative", lambda: nd.zeros(2, -1), ValueError, r"\[empty\] negative dimension -1 in shape \(2, -1\)"),
    ("set_grad_shape", lambda: setattr(nd.ones(2, requires_grad=True), "grad", nd.ones(3)), ValueError, r"\[grad\].*\(3,\)"),
    ("operand_type", lambda: A + "x", TypeError, r"\[__add__\]|\[add\]"),
]


@pytest.mark.parametrize("call,exc,pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_backward_errors():
    x = nd.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\[backward\].*scalar.*\(3,\)"):
        (x * 2).backward()
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"\[backward\].*second time.*retain_graph"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"\[backward\].*does not require grad"):
        nd.ones(()).backward()


def test_failed_inplace_writes_nothing():
    t = nd.arange(6, dtype=nd.int64)
    for bad in (lambda: t.mul_(0.5), lambda: t.add_(nd.ones(2, 6, dtype=nd.int64)), lambda: t.copy_(nd.ones(5)),
                lambda: t.div_floor_(0), lambda: t.remainder_(0)):
        with pytest.raises((TypeError, ValueError)):
            bad()
        assert t.tolist() == [0, 1, 2, 3, 4, 5]


def test_nan_and_inf_propagate_without_crashing():
    x = nd.tensor([0.0, -1.0, float("nan"), float("inf"), -float("inf")], dtype=nd.float64)
    with np.errstate(all="ignore"):
        ref = x.numpy()
        for op, f in [("log", np.log), ("sqrt", np.sqrt), ("exp", np.exp), ("reciprocal", lambda v: 1 / v),
                      ("tanh", np.tanh), ("sigmoid", lambda v: 1 / (1 + np.exp(-v)))]:
            np.testing.assert_array_equal(getattr(x, op)().numpy(), f(ref))
        np.testing.assert_array_equal((x / 0).numpy(), ref / 0)
        np.testing.assert_array_equal((x * 0).numpy(), ref * 0)
    assert np.isnan(x.sum().item()) and np.isnan(x.mean().item())
    y = x.clone().requires_grad_()
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), 2 * ref)
    assert nd.isnan(x).tolist() == [False, False, True, False, False]
