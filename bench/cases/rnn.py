"""Recurrent layers and attention against PyTorch's CPU implementations (oneDNN RNN kernels):
nn.LSTM / nn.GRU over a whole sequence (forward, forward + backward), one LSTMCell step, and
MultiheadAttention forward + backward."""
from bench.case import Case

LIBS = ("nativedl", "torch")
SEQ, QUICK_SEQ = (50, 32, 128, 256), (5, 4, 16, 32)          # (T, B, input, hidden)
CELL, QUICK_CELL = (1, 32, 128, 256), (1, 4, 16, 32)
MHA, QUICK_MHA = (16, 128, 256, 8), (2, 8, 32, 4)            # (batch, seq, embed, heads)


def _layer(cls, backward):
    def setup(lib, shape):
        T, B, I, H = shape
        lib.m.manual_seed(0)
        mod = getattr(lib.m.nn, cls)(I, H)
        x = lib.randn((T, B, I))
        if not backward:
            def fwd():
                with lib.m.no_grad():
                    return mod(x)
            return fwd
        x.requires_grad_(True)
        params = list(mod.parameters())
        g = lib.randn((T, B, H), seed=1)

        def step():
            out, _ = mod(x)
            return lib.m.autograd.grad([out], [x, *params], [g])
        return step
    return setup


def _cell(lib, shape):
    _, B, I, H = shape
    lib.m.manual_seed(0)
    cell = lib.m.nn.LSTMCell(I, H)
    x, h, c = lib.randn((B, I)), lib.randn((B, H), seed=1), lib.randn((B, H), seed=2)

    def step():
        with lib.m.no_grad():
            return cell(x, (h, c))
    return step


def _mha(lib, shape):
    N, L, E, heads = shape
    lib.m.manual_seed(0)
    mha = lib.m.nn.MultiheadAttention(E, heads, batch_first=True)
    x = lib.randn((N, L, E)).requires_grad_(True)
    params = list(mha.parameters())
    g = lib.randn((N, L, E), seed=1)

    def step():
        out, _ = mha(x, x, x, need_weights=False)
        return lib.m.autograd.grad([out], [x, *params], [g])
    return step


def _rnn_flops(gates, passes):
    """2 x multiply-adds of the input and hidden projections, x passes (3 with the backward)."""
    return lambda s: passes * 2.0 * s[0] * s[1] * (s[2] + s[3]) * gates * s[3]


def _mha_flops(s):
    N, L, E, _ = s
    return 3 * (2.0 * N * L * E * 4 * E + 4.0 * N * L * L * E)


CASES = [
    Case("lstm_seq_fwd", SEQ, QUICK_SEQ, _layer("LSTM", False), flops=_rnn_flops(4, 1), libs=LIBS),
    Case("lstm_seq_fwd_bwd", SEQ, QUICK_SEQ, _layer("LSTM", True), flops=_rnn_flops(4, 3), libs=LIBS),
    Case("lstm_cell_step", CELL, QUICK_CELL, _cell, flops=_rnn_flops(4, 1), libs=LIBS, unit="us"),
    Case("gru_seq_fwd", SEQ, QUICK_SEQ, _layer("GRU", False), flops=_rnn_flops(3, 1), libs=LIBS),
    Case("gru_seq_fwd_bwd", SEQ, QUICK_SEQ, _layer("GRU", True), flops=_rnn_flops(3, 3), libs=LIBS),
    Case("mha_fwd_bwd", MHA, QUICK_MHA, _mha, flops=_mha_flops, libs=LIBS),
]
