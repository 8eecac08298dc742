"""MultiheadAttention (PyTorch's parameters and options) and AdditiveAttention (Bahdanau)."""
import math

from ... import _C, _creation
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention", "AdditiveAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's class name for out_proj (a plain Linear)."""


class MultiheadAttention(Module):
    """softmax(Q K^T / sqrt(d) + mask) V per head, with projections as PyTorch's:
    in_proj_weight (3E, E) when kdim == vdim == embed_dim, else q/k/v_proj_weight;
    in_proj_bias (3E); out_proj (Linear E -> E); add_bias_kv (bias_k, bias_v); add_zero_attn."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"[MultiheadAttention] embed_dim and num_heads must be > 0, got {embed_dim} and "
                             f"{num_heads}")
        if embed_dim % num_heads != 0:
            raise ValueError(f"[MultiheadAttention] embed_dim={embed_dim} must be divisible by num_heads={num_heads}")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        self.add_zero_attn = add_zero_attn
        E = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(_creation.empty(3 * E, E, dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(_creation.empty(E, E, dtype=dtype))
            self.k_proj_weight = Parameter(_creation.empty(E, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(_creation.empty(E, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(_creation.empty(3 * E, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(E, E, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(_creation.empty(1, 1, E, dtype=dtype))
            self.bias_v = Parameter(_creation.empty(1, 1, E, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _projections(self, query, key, value):
        E = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if query is key and key is value:  # self-attention: one GEMM for q, k and v
                return F.linear(query, w, b).chunk(3, -1)
            wq, wk, wv = w[:E], w[E:2 * E], w[2 * E:]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """query (L, N, E) ((N, L, E) if batch_first, (L, E) unbatched), key (S, N, kdim), value
        (S, N, vdim). key_padding_mask (N, S): True (bool) = ignore, or additive float.
        attn_mask (L, S) or (N * num_heads, L, S): True (bool) = not allowed, or additive.
        Returns (output, weights): weights (N, L, S) averaged over heads, or (N, heads, L, S),
        or None when need_weights is False."""
        name = "MultiheadAttention"
        unbatched = query.dim() == 2
        if query.dim() not in (2, 3) or key.dim() != query.dim() or value.dim() != query.dim():
            raise ValueError(f"[{name}] query, key and value must all be 3-d (batched) or 2-d (unbatched), got "
                             f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        if query.shape[-1] != self.embed_dim:
            raise ValueError(f"[{name}] query {tuple(query.shape)} has {query.shape[-1]} features in its last dim "
                             f"but embed_dim={self.embed_dim}")
        if key.shape[-1] != self.kdim or value.shape[-1] != self.vdim:
            raise ValueError(f"[{name}] key {tuple(key.shape)} and value {tuple(value.shape)} must have kdim="
                             f"{self.kdim} and vdim={self.vdim} features")
        same = query is key and key is value
        if unbatched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        L, N, E = query.shape
        S = key.shape[0]
        if key.shape[:2] != value.shape[:2] or key.shape[1] != N:
            raise ValueError(f"[{name}] key {tuple(key.shape)} and value {tuple(value.shape)} must share (S, N) "
                             f"with N={N} the query's batch size (batch_first={self.batch_first})")
        if same:
            key = value = query
        q, k, v = self._projections(query, key, value)
        H, Dh = self.num_heads, self.head_dim
        if self.bias_k is not None:
            k = _C.cat([k, self.bias_k.expand(1, N, E)], 0)
            v = _C.cat([v, self.bias_v.expand(1, N, E)], 0)
        mask = self._merged_mask(attn_mask, key_padding_mask, is_causal, L, S, N, q.dtype, q.device)
        if self.bias_k is not None and mask is not None:
            mask = _C.pad(mask, [0, 1])
        # (L, N, E) -> (N, H, L, Dh)
        q = q.reshape(L, N * H, Dh).transpose(0, 1).reshape(N, H, L, Dh)
        k = k.reshape(k.shape[0], N * H, Dh).transpose(0, 1).reshape(N, H, -1, Dh)
        v = v.reshape(v.shape[0], N * H, Dh).transpose(0, 1).reshape(N, H, -1, Dh)
        if self.add_zero_attn:
            k = _C.cat([k, _creation.zeros(N, H, 1, Dh, dtype=k.dtype, device=k.device)], 2)
            v = _C.cat([v, _creation.zeros(N, H, 1, Dh, dtype=v.dtype, device=v.device)], 2)
            if mask is not None:
                mask = _C.pad(mask, [0, 1])
        p = self.dropout if self.training else 0.0
        if need_weights:
            out, weights = _C._attention_with_weights(q, k, v, mask, p, False, None)
        else:
            out, weights = F.scaled_dot_product_attention(q, k, v, mask, p, False), None
        out = out.permute(2, 0, 1, 3).reshape(L, N, E)
        out = self.out_proj(out)
        if weights is not None and average_attn_weights:
            weights = weights.mean(1)
        if unbatched:
            out = out.squeeze(1)
            weights = None if weights is None else weights.squeeze(0)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, weights

    def _merged_mask(self, attn_mask, key_padding_mask, is_causal, L, S, N, dtype, device):
        """One additive float mask broadcastable to (N, H, L, S), or None."""
        name = "MultiheadAttention"
        merged = None
        if attn_mask is None and is_causal:
            attn_mask = _C.triu(_creation.ones(L, S, dtype=_C.dtype.bool, device=device), 1)
        if attn_mask is not None:
            if attn_mask.dim() == 2:
                if tuple(attn_mask.shape) != (L, S):
                    raise ValueError(f"[{name}] the 2-d attn_mask should be of size ({L}, {S}), got "
                                     f"{tuple(attn_mask.shape)}")
                merged = _additive(attn_mask, dtype).reshape(1, 1, L, S)
            elif attn_mask.dim() == 3:
                if tuple(attn_mask.shape) != (N * self.num_heads, L, S):
                    raise ValueError(f"[{name}] the 3-d attn_mask should be of size ({N * self.num_heads}, {L}, {S}),"
                                     f" got {tuple(attn_mask.shape)}")
                merged = _additive(attn_mask, dtype).reshape(N, self.num_heads, L, S)
            else:
                raise ValueError(f"[{name}] attn_mask must be 2-d or 3-d, got {tuple(attn_mask.shape)}")
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (N, S):
                raise ValueError(f"[{name}] key_padding_mask should be of size ({N}, {S}) (batch, source length), got "
                                 f"{tuple(key_padding_mask.shape)}")
            kp = _additive(key_padding_mask, dtype).reshape(N, 1, 1, S)
            merged = kp if merged is None else merged + kp
        return merged


def _additive(mask, dtype):
    """A bool mask (True = masked out) as 0 / -inf; a float mask as is."""
    if mask.dtype == _C.dtype.bool:
        return _creation.zeros(*mask.shape, dtype=dtype, device=mask.device).masked_fill(mask, float("-inf"))
    return mask.to(dtype)


class AdditiveAttention(Module):
    """Bahdanau (additive) attention: score(q, k_j) = v^T tanh(W_q q + W_k k_j),
    weights = softmax over j, context = sum_j weights_j value_j.

    forward(query (N, query_dim) or (N, L, query_dim), keys (N, S, key_dim), values=None (the
    keys) (N, S, Dv), mask=None (N, S) bool, True = take part) returns (context (N, Dv) or
    (N, L, Dv), weights (N, S) or (N, L, S))."""

    def __init__(self, query_dim, key_dim, hidden_dim, device=None, dtype=None):
        super().__init__()
        self.query_dim, self.key_dim, self.hidden_dim = query_dim, key_dim, hidden_dim
        self.query_proj = Linear(query_dim, hidden_dim, bias=False, dtype=dtype)
        self.key_proj = Linear(key_dim, hidden_dim, bias=True, dtype=dtype)
        self.v = Parameter(_creation.empty(hidden_dim, dtype=dtype))
        bound = 1 / math.sqrt(hidden_dim)
        init.uniform_(self.v, -bound, bound)

    def forward(self, query, keys, values=None, mask=None):
        name = "AdditiveAttention"
        if keys.dim() != 3 or keys.shape[-1] != self.key_dim:
            raise ValueError(f"[{name}] keys must be (N, S, key_dim={self.key_dim}), got {tuple(keys.shape)}")
        if query.shape[-1] != self.query_dim or query.dim() not in (2, 3) or query.shape[0] != keys.shape[0]:
            raise ValueError(f"[{name}] query must be (N, query_dim={self.query_dim}) or (N, L, query_dim) with the "
                             f"keys' N={keys.shape[0]}, got {tuple(query.shape)}")
        values = keys if values is None else values
        if values.dim() != 3 or tuple(values.shape[:2]) != tuple(keys.shape[:2]):
            raise ValueError(f"[{name}] values {tuple(values.shape)} must be (N, S, Dv) with the keys' (N, S) = "
                             f"{tuple(keys.shape[:2])}")
        single = query.dim() == 2
        q = self.query_proj(query.unsqueeze(1) if single else query)           # (N, L, h)
        k = self.key_proj(keys)                                                # (N, S, h)
        scores = _C.matmul(_C.tanh(q.unsqueeze(2) + k.unsqueeze(1)), self.v)   # (N, L, S)
        if mask is not None:
            if tuple(mask.shape) != tuple(keys.shape[:2]):
                raise ValueError(f"[{name}] mask must be (N, S) = {tuple(keys.shape[:2])}, got {tuple(mask.shape)}")
            scores = scores.masked_fill(_C.logical_not(mask).unsqueeze(1), float("-inf"))
        weights = F.softmax(scores, dim=-1)
        context = _C.matmul(weights, values)                                   # (N, L, Dv)
        if single:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights

    def extra_repr(self):
        return f"query_dim={self.query_dim}, key_dim={self.key_dim}, hidden_dim={self.hidden_dim}"
