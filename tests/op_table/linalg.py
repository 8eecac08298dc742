"""Op table rows for matrix products and contractions.

References compute in float64 (integers exactly) and cast back, so they are the exact
products up to one final rounding.

Tolerances: a float32 GEMM sums k products in float32, in a blocked order, so its error
grows like k * eps * sum|a||b| (about 1e-5 relative for k ~ 100 with inputs in [-2, 2]);
entries that cancel to near zero need an absolute bound of the same size. rtol/atol 1e-4
cover k up to a few hundred, as used below. float64 gets 1e-10 (k * 2e-16 * |a||b| ~ 1e-13).
"""
import numpy as np

import nativedl as nd
from op_table import OpInfo

GEMM_TOL = dict(atol={"float32": 1e-4, "float64": 1e-10}, rtol={"float32": 1e-4, "float64": 1e-10})
ALL = ("float32", "float64", "int64", "int32")


def exact(f):
    """f evaluated in float64 (integers in int64), cast back to the first input's dtype."""
    def ref(*arrays, **kw):
        wide = [a.astype(np.float64 if a.dtype.kind == "f" else np.int64) for a in arrays]
        return np.asarray(f(*wide, **kw)).astype(arrays[0].dtype)
    return ref


def _einsum_row(tag, eq, shapes, grad_shapes=None):
    return OpInfo(f"einsum-{tag}", lambda *ts: nd.einsum(eq, *ts), exact(lambda *a: np.einsum(eq, *a)),
                  shapes, grad_shapes=grad_shapes, **GEMM_TOL)


ROWS = [
    OpInfo("matmul", nd.matmul, exact(np.matmul), [
        ((3,), (3,)), ((4, 3), (3,)), ((3,), (3, 5)), ((4, 3), (3, 5)),
        ((2, 4, 3), (3, 5)), ((2, 4, 3), (3,)), ((3,), (2, 3, 5)), ((4, 3), (2, 3, 5)),
        ((2, 4, 3), (2, 3, 5)), ((2, 1, 4, 3), (3, 3, 5)), ((1, 4, 3), (2, 2, 3, 5)),
        ((0, 3), (3, 5)), ((4, 0), (0, 5)), ((2, 0, 4, 3), (3, 5)), ((0,), (0,)),
        ((70, 130), (130, 90)), ((2, 65, 33), (2, 33, 47)), ((300,), (300, 20)), ((20, 300), (300,)),
    ], dtypes=ALL, grad_shapes=[
        ((3,), (3,)), ((4, 3), (3,)), ((3,), (3, 5)), ((4, 3), (3, 5)), ((2, 4, 3), (3, 2)),
        ((3,), (2, 3, 2)), ((2, 1, 2, 3), (3, 3, 2)), ((1, 2, 3), (2, 3, 4)),
    ], **GEMM_TOL),
    OpInfo("mm", nd.mm, exact(np.matmul), [
        ((4, 3), (3, 5)), ((1, 7), (7, 1)), ((0, 3), (3, 2)), ((3, 0), (0, 2)),
        ((37, 61), (61, 45)), ((130, 70), (70, 33)),
    ], dtypes=ALL, grad_shapes=[((4, 3), (3, 5)), ((1, 3), (3, 1))], **GEMM_TOL),
    OpInfo("bmm", nd.bmm, exact(np.matmul), [
        ((2, 4, 3), (2, 3, 5)), ((1, 1, 1), (1, 1, 1)), ((0, 2, 3), (0, 3, 4)), ((3, 2, 0), (3, 0, 4)),
        ((5, 40, 33), (5, 33, 47)),
    ], dtypes=ALL, grad_shapes=[((2, 4, 3), (2, 3, 5))], **GEMM_TOL),
    OpInfo("mv", nd.mv, exact(np.matmul), [((4, 3), (3,)), ((0, 3), (3,)), ((4, 0), (0,)), ((50, 300), (300,))],
           dtypes=ALL, grad_shapes=[((4, 3), (3,))], **GEMM_TOL),
    OpInfo("dot", nd.dot, exact(np.dot), [((3,), (3,)), ((0,), (0,)), ((1000,), (1000,))],
           dtypes=ALL, grad_shapes=[((5,), (5,))],
           atol={"float32": 1e-3, "float64": 1e-10}, rtol=GEMM_TOL["rtol"]),  # k = 1000 terms
    OpInfo("outer", nd.outer, exact(np.outer), [((3,), (4,)), ((0,), (4,)), ((1,), (1,))], dtypes=ALL),
    OpInfo("addmm", nd.addmm, exact(lambda i, a, b, beta=1, alpha=1: beta * i + alpha * (a @ b)), [
        ((4, 5), (4, 3), (3, 5)), ((5,), (4, 3), (3, 5)), ((4, 1), (4, 3), (3, 5)), ((), (4, 3), (3, 5)),
        ((40, 50), (40, 70), (70, 50)), ((4, 0), (4, 3), (3, 0)),
    ], kwargs=({}, {"beta": 0.5, "alpha": 2.0}, {"beta": 0.0}), **GEMM_TOL,
        grad_shapes=[((4, 5), (4, 3), (3, 5)), ((5,), (4, 3), (3, 5)), ((), (2, 3), (3, 2))]),
    OpInfo("baddbmm", nd.baddbmm, exact(lambda i, a, b, beta=1, alpha=1: beta * i + alpha * (a @ b)), [
        ((2, 4, 5), (2, 4, 3), (2, 3, 5)), ((4, 5), (2, 4, 3), (2, 3, 5)), ((1, 1, 5), (2, 4, 3), (2, 3, 5)),
        ((3, 20, 30), (3, 20, 40), (3, 40, 30)),
    ], kwargs=({}, {"beta": 0.5, "alpha": -1.5}), **GEMM_TOL,
        grad_shapes=[((2, 4, 5), (2, 4, 3), (2, 3, 5)), ((5,), (2, 2, 3), (2, 3, 5))]),
    _einsum_row("mm", "ij,jk->ik", [((4, 3), (3, 5)), ((40, 70), (70, 30))], [((4, 3), (3, 5))]),
    _einsum_row("attn", "bhqd,bhkd->bhqk", [((2, 3, 4, 5), (2, 3, 6, 5))], [((1, 2, 3, 2), (1, 2, 4, 2))]),
    _einsum_row("bilinear", "bi,oij,bj->bo", [((4, 3), (5, 3, 2), (4, 2))]),
    _einsum_row("diag", "ii->i", [((4, 4),)]),
    _einsum_row("trace", "ii", [((4, 4),)]),
    _einsum_row("transpose", "ij->ji", [((3, 4),)]),
    _einsum_row("bmm", "bij,bjk->bik", [((2, 3, 4), (2, 4, 5))]),
    _einsum_row("ellipsis", "...ij,...jk->...ik", [((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 2))]),
    _einsum_row("implicit", "ij,jk", [((3, 4), (4, 5))]),
    _einsum_row("implicit_order", "ba,ac", [((3, 4), (4, 5))]),
    _einsum_row("outer", "i,j->ij", [((3,), (4,))]),
    _einsum_row("sum", "ijk->j", [((2, 3, 4),)]),
    _einsum_row("batchdiag", "...ii->...i", [((2, 3, 3),)]),
    _einsum_row("broadcast1", "ij,ij->i", [((3, 1), (3, 4))]),
    _einsum_row("chain", "ij,jk,kl->il", [((2, 3), (3, 4), (4, 5))]),
    _einsum_row("empty", "ij,jk->ik", [((0, 3), (3, 4)), ((2, 0), (0, 4))]),
    OpInfo("tensordot", nd.tensordot, exact(lambda a, b, dims=2: np.tensordot(a, b, axes=dims)),
           [((3, 4, 5), (4, 5, 6)), ((2, 0), (2, 0))], **GEMM_TOL),
    OpInfo("tensordot-int", nd.tensordot, exact(lambda a, b, dims: np.tensordot(a, b, axes=dims)),
           [((3, 4, 5), (5, 2))], kwargs=({"dims": 1},), **GEMM_TOL),
    OpInfo("tensordot-outer", nd.tensordot, exact(lambda a, b, dims: np.tensordot(a, b, axes=dims)),
           [((2, 3), (4,))], kwargs=({"dims": 0},), **GEMM_TOL),
    OpInfo("tensordot-pairs", nd.tensordot, exact(lambda a, b, dims: np.tensordot(a, b, axes=dims)),
           [((3, 4, 5), (5, 3, 2))], kwargs=({"dims": ([0, 2], [1, 0])}, {"dims": ([2], [0])}), **GEMM_TOL),
]
