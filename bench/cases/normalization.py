"""Normalization layers, forward and forward + backward. Bytes: the forward reads x and writes y (2 tensors);
the backward reads grad_y and x and writes grad_x (3 more)."""
from bench.autograd_case import pair

BN, QUICK_BN = (32, 64, 56, 56), (4, 16, 28, 28)
LN, QUICK_LN = (8192, 1024), (1024, 256)


def batch_norm_train(F, x, w, b):
    return F.batch_norm(x, None, None, w, b, training=True)


CASES = (pair("batch_norm_train", BN, QUICK_BN, batch_norm_train, lambda s: [(s[1],), (s[1],)],
              tensors_fwd=2, tensors_bwd=5)
         + pair("layer_norm", LN, QUICK_LN, lambda F, x, w, b: F.layer_norm(x, (x.shape[-1],), w, b),
                lambda s: [(s[-1],), (s[-1],)], tensors_fwd=2, tensors_bwd=5)
         + pair("group_norm_32", BN, QUICK_BN, lambda F, x, w, b: F.group_norm(x, 32 if x.shape[1] >= 32 else 4, w, b),
                lambda s: [(s[1],), (s[1],)], tensors_fwd=2, tensors_bwd=5))
