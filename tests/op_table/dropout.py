"""Op-table rows of dropout. The masks are random, so forward parity covers the deterministic
cases (not training, p = 0, p = 1); gradcheck reseeds before every call so each evaluation
draws the same mask. Statistics and seeding are tested in tests/test_dropout.py."""
import numpy as np

import nativedl as nd
from op_table import OpInfo

def seeded(fn):
    """fn with the generator reseeded first: the same mask on every call."""
    def g(x, **kw):
        nd.manual_seed(7)
        return fn(x, **kw)
    return g


def ref_dropout(x, p, train):
    return np.zeros_like(x) if train and p == 1 else x


def ref_alpha_dropout(x, p, train):
    """Deterministic cases only: identity, or zeros for p = 1 (PyTorch's special case: the affine
    correction is undefined there)."""
    return np.zeros_like(x) if train and p == 1 else x


DET_KW = [{"p": 0.5, "train": False}, {"p": 0.0, "train": True}, {"p": 1.0, "train": True}]
SHAPES = [((3, 4),), ((2, 3, 2, 2),)]
GRAD_KW = [{"p": 0.5, "train": True}, {"p": 0.2, "train": True}]
GRAD_SHAPES = [((3, 4, 2),)]


def dropout_inplace(x, p, train):
    y = x.clone()
    return nd.dropout_(y, p, train)


ROWS = [
    OpInfo("dropout", seeded(nd.dropout), ref_dropout, SHAPES, DET_KW),
    OpInfo("dropout-grad", seeded(nd.dropout), ref_dropout, [], GRAD_KW, grad_shapes=GRAD_SHAPES),
    OpInfo("dropout_", dropout_inplace, ref_dropout, SHAPES, DET_KW, differentiable=False),
    OpInfo("feature_dropout", seeded(nd.feature_dropout), ref_dropout, SHAPES, DET_KW),
    OpInfo("feature_dropout-grad", seeded(nd.feature_dropout), ref_dropout, [], GRAD_KW, grad_shapes=GRAD_SHAPES),
    OpInfo("alpha_dropout", seeded(nd.alpha_dropout), ref_alpha_dropout, SHAPES, DET_KW),
    OpInfo("alpha_dropout-grad", seeded(nd.alpha_dropout), ref_alpha_dropout, [], GRAD_KW, grad_shapes=GRAD_SHAPES),
    OpInfo("feature_alpha_dropout", seeded(nd.feature_alpha_dropout), ref_alpha_dropout, SHAPES, DET_KW),
    OpInfo("feature_alpha_dropout-grad", seeded(nd.feature_alpha_dropout), ref_alpha_dropout, [], GRAD_KW,
           grad_shapes=GRAD_SHAPES),
]
