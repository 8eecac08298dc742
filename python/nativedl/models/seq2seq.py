"""A small encoder-decoder with additive attention: token ids in, token ids out."""
import numpy as np

from .. import _C, _creation, nn
from ..nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = ["Seq2SeqAttention", "seq2seq_attention"]


class Seq2SeqAttention(nn.Module):
    """Encoder-decoder with additive attention (Bahdanau, Cho and Bengio, 2015).

    Encoder: Embedding -> GRU/LSTM (bidirectional by default) over the source, right-padded with
    padding_idx; padded steps are packed away, so they change neither the encoder's states nor, masked
    out of the attention, the decoder.
    Decoder, per target step t: context c_t = attention(query s_{t-1}, keys = encoder outputs);
    s_t = cell([embed(y_{t-1}); c_t], s_{t-1}); logits_t = out([s_t; c_t]). It starts from
    s_0 = tanh(bridge(final encoder states)) and y_0 = bos_idx. y_{t-1} is the target's token in training
    mode when tgt is given (teacher forcing), otherwise the argmax of step t-1's logits (greedy decoding).
    Both vocabularies share padding_idx and bos_idx.
    """

    def __init__(self, src_vocab, tgt_vocab, embed_dim=32, hidden_size=64, attention_dim=None, cell="gru",
                 bidirectional=True, padding_idx=0, bos_idx=1, max_len=50):
        super().__init__()
        if cell not in ("lstm", "gru"):
            raise ValueError(f"[seq2seq_attention] cell must be 'lstm' or 'gru', got '{cell}'")
        for arg, vocab in (("padding_idx", padding_idx), ("bos_idx", bos_idx)):
            if not 0 <= vocab < min(src_vocab, tgt_vocab):
                raise ValueError(f"[seq2seq_attention] {arg}={vocab} must be a token of both vocabularies "
                                 f"(src_vocab={src_vocab}, tgt_vocab={tgt_vocab})")
        self.cell, self.padding_idx, self.bos_idx, self.max_len = cell, padding_idx, bos_idx, max_len
        directions = 2 if bidirectional else 1
        self.src_embedding = nn.Embedding(src_vocab, embed_dim, padding_idx=padding_idx)
        self.encoder = (nn.LSTM if cell == "lstm" else nn.GRU)(embed_dim, hidden_size, batch_first=True,
                                                              bidirectional=bidirectional)
        self.bridge = nn.Linear(directions * hidden_size, hidden_size)
        self.tgt_embedding = nn.Embedding(tgt_vocab, embed_dim, padding_idx=padding_idx)
        self.attention = nn.AdditiveAttention(hidden_size, directions * hidden_size, attention_dim or hidden_size)
        self.decoder = (nn.LSTMCell if cell == "lstm" else nn.GRUCell)(embed_dim + directions * hidden_size,
                                                                      hidden_size)
        self.out = nn.Linear(hidden_size + directions * hidden_size, tgt_vocab)

    def encode(self, src):
        """(encoder outputs (N, S, directions * hidden), source mask (N, S) bool, decoder's initial state)."""
        name = "seq2seq_attention"
        if src.dim() != 2 or src.dtype != _C.dtype.int64:
            raise ValueError(f"[{name}] src must be (N, S) int64 token ids, got {tuple(src.shape)} {src.dtype}")
        mask = src != self.padding_idx
        keep = mask.numpy()
        lengths = keep.sum(1)
        if not (keep == (np.arange(src.shape[1]) < lengths[:, None])).all() or (lengths == 0).any():
            raise ValueError(f"[{name}] every source sequence in src {tuple(src.shape)} must be non-empty and "
                             f"right-padded with padding_idx={self.padding_idx}")
        packed = pack_padded_sequence(self.src_embedding(src), lengths.tolist(), batch_first=True,
                                      enforce_sorted=False)
        outputs, final = self.encoder(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])
        h = final[0] if self.cell == "lstm" else final       # (directions, N, hidden): last layer's states
        state = _C.tanh(self.bridge(_C.cat(list(h.unbind(0)), 1)))
        if self.cell == "lstm":
            state = (state, _creation.zeros_like(state))
        return outputs, mask, state

    def forward(self, src, tgt=None, max_len=None):
        """src (N, S) int64, tgt (N, T) int64 or None -> (logits (N, T, tgt_vocab), attention (N, T, S)).
        Without tgt, T is max_len (default: the constructor's)."""
        outputs, mask, state = self.encode(src)
        if tgt is not None and (tgt.dim() != 2 or tgt.shape[0] != src.shape[0]):
            raise ValueError(f"[seq2seq_attention] tgt must be (N, T) with the source's N={src.shape[0]}, got "
                             f"{tuple(tgt.shape)}")
        steps = tgt.shape[1] if tgt is not None else (max_len or self.max_len)
        teacher = self.training and tgt is not None
        token = _creation.full((src.shape[0],), self.bos_idx, dtype=_C.dtype.int64)
        logits, weights = [], []
        for t in range(steps):
            hidden = state[0] if self.cell == "lstm" else state
            context, w = self.attention(hidden, outputs, mask=mask)
            state = self.decoder(_C.cat([self.tgt_embedding(token), context], 1), state)
            hidden = state[0] if self.cell == "lstm" else state
            logits.append(self.out(_C.cat([hidden, context], 1)))
            weights.append(w)
            token = tgt[:, t] if teacher else logits[-1].detach().argmax(1)
        return _C.stack(logits, 1), _C.stack(weights, 1)


def seq2seq_attention(src_vocab, tgt_vocab, embed_dim=32, hidden_size=64, **kwargs):
    return Seq2SeqAttention(src_vocab, tgt_vocab, embed_dim, hidden_size, **kwargs)
